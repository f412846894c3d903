using System.Net;
using System.Text.RegularExpressions;

namespace LoadDriver;

/// <summary>One control of a form, as a browser sees it.</summary>
internal sealed record FormControl(string Tag, string Type, string? Name, string Value, bool Checked);

/// <summary>
/// The sign-in (or consent) form of a page, read the way a browser would submit it: hidden and text inputs with
/// their values, checked radios and check boxes, and one submit button. Attribute order, quoting and case do not
/// matter; entities in values are decoded. Regular expressions, not a DOM: enough for server-rendered forms.
/// </summary>
internal sealed partial class HtmlForm
{
    private HtmlForm(string? action, string method, IReadOnlyList<FormControl> controls)
    {
        Action = action;
        Method = method;
        Controls = controls;
    }

    /// <summary>The action attribute as written (decoded), or null when absent: then the form posts to the page's URL.</summary>
    public string? Action { get; }

    /// <summary><c>post</c> or <c>get</c>.</summary>
    public string Method { get; }

    public IReadOnlyList<FormControl> Controls { get; }

    public bool HasPassword => Controls.Any(c => c.Type == "password");

    /// <summary>
    /// The form to submit on a page: the first with a password field, else the first with a radio button or a hidden
    /// input (a consent or chooser form), else the first form. Null when the page has none.
    /// </summary>
    public static HtmlForm? Find(string html)
    {
        var forms = FormRegex().Matches(html).Select(m => Parse(m.Groups["attrs"].Value, m.Groups["body"].Value)).ToList();
        return forms.FirstOrDefault(f => f.HasPassword)
            ?? forms.FirstOrDefault(f => f.Controls.Any(c => c.Type is "radio" or "hidden"))
            ?? forms.FirstOrDefault();
    }

    /// <summary>The value of the page's input whose id is <paramref name="id"/>, inside a form or not; null when there is none.</summary>
    public static string? InputValue(string html, string id)
    {
        foreach (Match control in ControlRegex().Matches(html))
        {
            var attributes = Attributes(control.Groups["attrs"].Value);
            if (control.Groups["tag"].Value.Equals("input", StringComparison.OrdinalIgnoreCase) && attributes.GetValueOrDefault("id") == id)
            {
                return attributes.GetValueOrDefault("value");
            }
        }
        return null;
    }

    /// <summary>The text of the page's first <c>role="alert"</c> element, else of its first <c>h1</c>: why a page was shown instead of a redirect.</summary>
    public static string? Alert(string html)
    {
        var match = AlertRegex().Match(html);
        if (!match.Success)
        {
            match = HeadingRegex().Match(html);
        }
        if (!match.Success)
        {
            return null;
        }
        var text = WebUtility.HtmlDecode(TagRegex().Replace(match.Groups["text"].Value, " "));
        text = WhitespaceRegex().Replace(text, " ").Trim();
        return text.Length > 200 ? text[..200] : text;
    }

    /// <summary>
    /// The fields a browser would send, with <paramref name="overrides"/> set (added when the form lacks them).
    /// The submit button sent is the first named one whose value matches <paramref name="button"/>, else the first named one.
    /// </summary>
    public List<KeyValuePair<string, string>> Fields(IReadOnlyDictionary<string, string> overrides, (string Name, string Value)? button = null)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var control in Controls)
        {
            if (control.Name is null || IsButton(control))
            {
                continue;
            }
            if (control.Type is "radio" or "checkbox")
            {
                // A radio group named in the overrides takes the override's value, whichever was checked.
                if (control.Checked && !overrides.ContainsKey(control.Name))
                {
                    fields.Add(new(control.Name, control.Value.Length > 0 ? control.Value : "on"));
                }
                continue;
            }
            if (control.Type is "file" or "image" or "reset")
            {
                continue;
            }
            fields.Add(new(control.Name, overrides.TryGetValue(control.Name, out var value) ? value : control.Value));
        }
        foreach (var (name, value) in overrides)
        {
            if (!fields.Any(f => f.Key == name))
            {
                fields.Add(new(name, value));
            }
        }
        var buttons = Controls.Where(c => c.Name is not null && IsButton(c) && c.Type == "submit").ToList();
        var chosen = (button is { } b ? buttons.FirstOrDefault(c => c.Name == b.Name && c.Value == b.Value) : null) ?? buttons.FirstOrDefault();
        if (chosen is not null && !overrides.ContainsKey(chosen.Name!))
        {
            fields.Add(new(chosen.Name!, chosen.Value));
        }
        return fields;
    }

    /// <summary>The name of the first control of <paramref name="type"/>, or of the first present among <paramref name="names"/>.</summary>
    public string? FieldNamed(IEnumerable<string> names, string? type = null)
    {
        foreach (var name in names)
        {
            if (Controls.Any(c => c.Name == name && !IsButton(c)))
            {
                return name;
            }
        }
        return type is null ? null : Controls.FirstOrDefault(c => c.Type == type && c.Name is not null)?.Name;
    }

    public bool HasRadioGroup(string name) => Controls.Any(c => c.Type == "radio" && c.Name == name);

    private static bool IsButton(FormControl control) => control.Tag == "button" || control.Type is "submit" or "button" or "reset" or "image";

    private static HtmlForm Parse(string formAttributes, string body)
    {
        var attributes = Attributes(formAttributes);
        var controls = new List<FormControl>();
        foreach (Match control in ControlRegex().Matches(body))
        {
            var tag = control.Groups["tag"].Value.ToLowerInvariant();
            var a = Attributes(control.Groups["attrs"].Value);
            if (a.ContainsKey("disabled"))
            {
                continue;
            }
            var type = a.GetValueOrDefault("type")?.ToLowerInvariant() ?? (tag == "button" ? "submit" : "text");
            if (tag == "textarea")
            {
                type = "textarea";
            }
            controls.Add(new FormControl(tag, type, a.GetValueOrDefault("name"), a.GetValueOrDefault("value") ?? "", a.ContainsKey("checked")));
        }
        var method = attributes.GetValueOrDefault("method")?.ToLowerInvariant() == "get" ? "get" : "post";
        return new HtmlForm(attributes.GetValueOrDefault("action"), method, controls);
    }

    private static Dictionary<string, string> Attributes(string text)
    {
        var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in AttributeRegex().Matches(text))
        {
            var value = match.Groups["dq"].Success ? match.Groups["dq"].Value
                : match.Groups["sq"].Success ? match.Groups["sq"].Value
                : match.Groups["uq"].Success ? match.Groups["uq"].Value
                : "";
            attributes.TryAdd(match.Groups["name"].Value, WebUtility.HtmlDecode(value));
        }
        return attributes;
    }

    [GeneratedRegex(@"<form\b(?<attrs>[^>]*)>(?<body>.*?)</form\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex FormRegex();

    [GeneratedRegex(@"<(?<tag>input|button|textarea)\b(?<attrs>(?:[^>""']|""[^""]*""|'[^']*')*)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ControlRegex();

    [GeneratedRegex(@"(?<name>[^\s=/>""']+)(?:\s*=\s*(?:""(?<dq>[^""]*)""|'(?<sq>[^']*)'|(?<uq>[^\s>""']+)))?", RegexOptions.CultureInvariant)]
    private static partial Regex AttributeRegex();

    [GeneratedRegex(@"<(?<tag>\w+)\b[^>]*\brole\s*=\s*[""']?alert[""']?[^>]*>(?<text>.*?)</\k<tag>\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex AlertRegex();

    [GeneratedRegex(@"<h1\b[^>]*>(?<text>.*?)</h1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex HeadingRegex();

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex WhitespaceRegex();
}
