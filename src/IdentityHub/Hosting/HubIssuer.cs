namespace IdentityHub.Hosting;

/// <summary>
/// The hub's public address: the issuer exactly as <c>Hub:Issuer</c> is written, never with a slash added or removed
/// (docs/integration.md, "Endpoints"), because strict clients compare it character for character. Its path, when it
/// has one (<c>https://id.example.gov/oidc</c>), is where the hub is published: every URL the hub gives out lies below it.
/// </summary>
public sealed class HubIssuer
{
    public HubIssuer(string value)
    {
        if (!IsValid(value))
        {
            throw new ArgumentException($"Hub:Issuer must be an absolute http or https URL without query or fragment, not '{value}'.", nameof(value));
        }
        Value = value;
        Uri = new Uri(value, UriKind.Absolute);
        Base = Uri.AbsolutePath.EndsWith('/') ? Uri : new Uri(Uri.AbsoluteUri + "/");
        PathBase = Uri.AbsolutePath.TrimEnd('/');
    }

    /// <summary>The issuer as configured: what discovery, tokens and responses carry.</summary>
    public string Value { get; }

    /// <summary>The issuer as a URI, for APIs that want one; its <c>AbsoluteUri</c> may differ from <see cref="Value"/>.</summary>
    public Uri Uri { get; }

    /// <summary>The issuer with exactly one trailing slash, against which the hub's own relative URLs resolve.</summary>
    public Uri Base { get; }

    /// <summary>The issuer's path without its trailing slash: empty when the hub is published at the root of its host.</summary>
    public string PathBase { get; }

    /// <summary>An absolute URL of the hub: <paramref name="relative"/> (no leading slash) below the issuer.</summary>
    public Uri Resolve(string relative) => new(Base, relative);

    public override string ToString() => Value;

    public static bool IsValid(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && !string.IsNullOrEmpty(uri.Host);
}
