using System.Net;
using System.Text.RegularExpressions;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>
/// A cookie-keeping HTTP client that behaves like a browser without JavaScript: it follows redirects within
/// the hub, reads forms (antiforgery token included) and submits them.
/// </summary>
public sealed partial class Browser(HttpClient client) : IDisposable
{
    public HttpClient Client { get; } = client;

    /// <summary>
    /// Agrees on the consent page whenever a login shows it (explicit consent is the default for services), for the
    /// tests about something else; the consent tests turn it off and drive the page themselves.
    /// </summary>
    public bool AgreeToConsent { get; init; } = true;

    public async Task<Page> GetAsync(string url) => await Page.ReadAsync(await Client.GetAsync(url));

    /// <summary>Follows redirects while they stay on the hub; stops at the first page or the first redirect elsewhere.</summary>
    public async Task<Page> NavigateAsync(string url, int maxRedirects = 10)
    {
        var page = await GetAsync(url);
        for (var i = 0; i < maxRedirects && page.IsRedirect && page.Location!.StartsWith('/'); i++)
        {
            page = await GetAsync(page.Location);
        }
        return AgreeToConsent && page.IsConsent ? await SubmitAsync(page, new() { ["decision"] = "continue" }) : page;
    }

    /// <summary>Submits the page's first form, with its hidden fields and the given values, then follows hub redirects.</summary>
    public async Task<Page> SubmitAsync(Page page, Dictionary<string, string> values)
    {
        var fields = page.HiddenFields();
        foreach (var (name, value) in values)
        {
            fields[name] = value;
        }
        var action = page.FormAction() is { Length: > 0 } a ? WebUtility.HtmlDecode(a) : page.Url;
        var result = await Page.ReadAsync(await Client.PostAsync(action, new FormUrlEncodedContent(fields)));
        return result.IsRedirect && result.Location!.StartsWith('/') ? await NavigateAsync(result.Location) : result;
    }

    /// <summary>
    /// For a plain <see cref="HttpClient"/> that follows redirects (a service's own login, say): checks that
    /// <paramref name="response"/> landed on the hub's consent page and clicks <c>Continue</c>, returning where it leads.
    /// </summary>
    public static async Task<HttpResponseMessage> AgreeAsync(HttpClient client, HttpResponseMessage response)
    {
        var page = await Page.ReadAsync(response);
        Assert.True(page.IsConsent, $"Expected the consent page, got {(int)page.Status} at {response.RequestMessage!.RequestUri}");
        var fields = page.HiddenFields();
        fields["decision"] = "continue";
        return await client.PostAsync(response.RequestMessage!.RequestUri, new FormUrlEncodedContent(fields));
    }

    public void Dispose() => Client.Dispose();

    public sealed partial record Page(HttpStatusCode Status, string Url, string? Location, string Html)
    {
        public bool IsRedirect => (int)Status is >= 300 and < 400;

        /// <summary>The hub's consent page (its path, whichever host).</summary>
        public bool IsConsent => Status == HttpStatusCode.OK && new Uri(new Uri("http://hub"), Url).AbsolutePath.Contains("/consent/", StringComparison.Ordinal);

        public static async Task<Page> ReadAsync(HttpResponseMessage response)
        {
            var location = response.Headers.Location;
            var url = response.RequestMessage!.RequestUri!;
            var resolved = location is null ? null
                : location.IsAbsoluteUri && location.Host == url.Host && location.Port == url.Port ? location.PathAndQuery
                : location.IsAbsoluteUri ? location.AbsoluteUri : location.OriginalString;
            return new Page(response.StatusCode, url.PathAndQuery, resolved, await response.Content.ReadAsStringAsync());
        }

        public Dictionary<string, string> HiddenFields() => InputTag().Matches(Html)
            .Select(m => m.Value)
            .Where(tag => Attribute(tag, "type") == "hidden" && Attribute(tag, "name") is not null)
            .ToDictionary(tag => Attribute(tag, "name")!, tag => Attribute(tag, "value") ?? "");

        private static string? Attribute(string tag, string name) =>
            Regex.Match(tag, $"\\s{name}=\"(?<v>[^\"]*)\"", RegexOptions.IgnoreCase) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["v"].Value) : null;

        /// <summary>The page's alert (<c>role="alert"</c>), from its opening tag to the end of its element.</summary>
        public string Alert()
        {
            var start = Html.IndexOf("role=\"alert\"", StringComparison.Ordinal);
            Assert.True(start >= 0, "The page shows no alert.");
            return Html[start..Html.IndexOf("</div>", start, StringComparison.Ordinal)];
        }

        public string? FormAction() => FormActionAttribute().Match(Html) is { Success: true } m ? m.Groups["action"].Value : null;

        [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
        private static partial Regex InputTag();

        [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]+)\"", RegexOptions.IgnoreCase)]
        private static partial Regex FormActionAttribute();
    }
}
