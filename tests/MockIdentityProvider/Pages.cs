using System.Text;

namespace MockIdentityProvider;

/// <summary>The few HTML pages a person sees, written out by hand: no views, no antiforgery, nothing to configure.</summary>
internal static class Pages
{
    public const string DecisionField = "decision";
    public const string PersonField = "person";

    public static IResult Login(MockIdentityProviderOptions options, IReadOnlyDictionary<string, string> parameters, string? selected,
        string? alert = null, int status = StatusCodes.Status200OK)
    {
        var body = new StringBuilder();
        body.Append("<h1>").Append(E(options.DisplayName)).Append("</h1>\n")
            .Append("<p>Test identity source: choose who signs in. No password is asked; nobody here is real.</p>\n");
        if (alert is not null)
        {
            body.Append("<p role=\"alert\" class=\"alert\">").Append(E(alert)).Append("</p>\n");
        }
        // The authorization request travels in hidden fields and is validated again on POST, as if it were new.
        body.Append("<form method=\"post\" action=\"").Append(Routes.Authorize).Append("\">\n");
        foreach (var (name, value) in parameters.Where(p => p.Key is not (DecisionField or PersonField)))
        {
            body.Append("<input type=\"hidden\" name=\"").Append(E(name)).Append("\" value=\"").Append(E(value)).Append("\">\n");
        }
        body.Append("<fieldset>\n<legend>Sign in as</legend>\n");
        var chosen = TestPeople.Find(selected) ?? TestPeople.All[0];
        foreach (var person in TestPeople.All)
        {
            var id = "person-" + person.Username;
            body.Append("<div class=\"choice\"><input type=\"radio\" id=\"").Append(E(id)).Append("\" name=\"").Append(PersonField)
                .Append("\" value=\"").Append(E(person.Username)).Append('"').Append(person == chosen ? " checked" : "").Append('>')
                .Append("<label for=\"").Append(E(id)).Append("\">").Append(E(person.DisplayName)).Append("</label></div>\n");
        }
        body.Append("</fieldset>\n")
            .Append("<button type=\"submit\" name=\"").Append(DecisionField).Append("\" value=\"signin\">Sign in</button>\n")
            .Append("<button type=\"submit\" name=\"").Append(DecisionField).Append("\" value=\"cancel\" class=\"secondary\">Cancel</button>\n")
            .Append("</form>\n");
        return Html(status, "Sign in – " + options.DisplayName, body.ToString());
    }

    /// <summary>For requests whose redirect_uri cannot be trusted: the person is told, and not sent anywhere.</summary>
    public static IResult Error(string error, string description) =>
        Html(StatusCodes.Status400BadRequest, "Request refused",
            "<h1>Request refused</h1>\n"
            + "<p role=\"alert\" class=\"alert\">" + E(description) + "</p>\n"
            + "<p>Error code: <code>" + E(error) + "</code></p>\n"
            + "<p>Go back to the service you came from and try again.</p>\n");

    public static IResult SignedOut(MockIdentityProviderOptions options) =>
        Html(StatusCodes.Status200OK, "Signed out – " + options.DisplayName,
            "<h1>You are signed out</h1>\n<p>" + E(options.DisplayName) + " no longer remembers you.</p>\n");

    private static IResult Html(int status, string title, string body) => Results.Content(
        $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
        main { max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
        fieldset { border: 1px solid #767676; padding: 1rem; margin: 1rem 0; }
        .choice { margin: .5rem 0; }
        button { font: inherit; padding: .5rem 1.25rem; margin-right: .5rem; border: 2px solid #00529b; background: #00529b; color: #fff; }
        button.secondary { background: #fff; color: #00529b; }
        :focus-visible { outline: 3px solid #b34700; outline-offset: 2px; }
        .alert { border-left: 4px solid #b00020; padding-left: .75rem; }
        </style>
        </head>
        <body>
        <main>
        {{body}}</main>
        </body>
        </html>

        """,
        "text/html", Encoding.UTF8, status);

    // Only the characters that matter to HTML: Vietnamese names stay as they are, easy to find in a test's HTML.
    private static string E(string value) => value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
