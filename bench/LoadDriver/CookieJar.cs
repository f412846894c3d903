using System.Globalization;
using System.Text;

namespace LoadDriver;

/// <summary>
/// A tiny per-login cookie jar, as a browser keeps them for the hosts the driver may talk to (loopback only):
/// host-only cookies (a <c>Domain</c> attribute naming the same host is accepted; ports are not part of a cookie's
/// scope, as in browsers), RFC 6265 path matching, <c>Max-Age</c>/<c>Expires</c> deletion. <c>Secure</c> cookies are
/// sent over plain HTTP because loopback is a secure context for browsers too; <c>SameSite</c> is irrelevant to the
/// top-level navigations a login is made of. One jar per login iteration: never shared between workers.
/// </summary>
internal sealed class CookieJar
{
    private readonly List<StoredCookie> _cookies = [];

    public int Count => _cookies.Count;

    /// <summary>The <c>Cookie</c> header value for a request, or null when no cookie applies.</summary>
    public string? HeaderFor(Uri uri)
    {
        StringBuilder? header = null;
        // Longer paths first (RFC 6265 section 5.4).
        foreach (var cookie in _cookies.Where(c => Matches(c, uri)).OrderByDescending(c => c.Path.Length))
        {
            header ??= new StringBuilder();
            if (header.Length > 0)
            {
                header.Append("; ");
            }
            header.Append(cookie.Name).Append('=').Append(cookie.Value);
        }
        return header?.ToString();
    }

    public void Store(Uri uri, HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var value in values)
            {
                Store(uri, value);
            }
        }
    }

    public void Store(Uri uri, string setCookie)
    {
        var parts = setCookie.Split(';');
        var pair = parts[0];
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            return;
        }
        var name = pair[..equals].Trim();
        var value = pair[(equals + 1)..].Trim();
        var host = uri.IdnHost;
        var path = DefaultPath(uri);
        var delete = false;
        foreach (var attribute in parts.Skip(1))
        {
            var eq = attribute.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? attribute : attribute[..eq]).Trim();
            var val = eq < 0 ? "" : attribute[(eq + 1)..].Trim();
            if (key.Equals("path", StringComparison.OrdinalIgnoreCase) && val.StartsWith('/'))
            {
                path = val;
            }
            else if (key.Equals("domain", StringComparison.OrdinalIgnoreCase) && val.Length > 0
                && !val.TrimStart('.').Equals(host, StringComparison.OrdinalIgnoreCase))
            {
                return; // a cookie for another domain: a browser rejects it
            }
            else if (key.Equals("max-age", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(val, NumberStyles.Integer, CultureInfo.InvariantCulture, out var maxAge) && maxAge <= 0)
            {
                delete = true;
            }
            else if (key.Equals("expires", StringComparison.OrdinalIgnoreCase)
                && DateTimeOffset.TryParse(val, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires)
                && expires <= DateTimeOffset.UtcNow)
            {
                delete = true;
            }
        }
        _cookies.RemoveAll(c => c.Name == name && c.Path == path && c.Host.Equals(host, StringComparison.OrdinalIgnoreCase));
        if (!delete)
        {
            _cookies.Add(new StoredCookie(name, value, host, path));
        }
    }

    private static bool Matches(StoredCookie cookie, Uri uri)
    {
        if (!cookie.Host.Equals(uri.IdnHost, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var requestPath = uri.AbsolutePath;
        if (requestPath == cookie.Path)
        {
            return true;
        }
        return requestPath.StartsWith(cookie.Path, StringComparison.Ordinal)
            && (cookie.Path.EndsWith('/') || requestPath[cookie.Path.Length] == '/');
    }

    /// <summary>RFC 6265 section 5.1.4: the request path up to, not including, its last '/'.</summary>
    private static string DefaultPath(Uri uri)
    {
        var path = uri.AbsolutePath;
        var last = path.LastIndexOf('/');
        return last <= 0 ? "/" : path[..last];
    }

    private sealed record StoredCookie(string Name, string Value, string Host, string Path);
}
