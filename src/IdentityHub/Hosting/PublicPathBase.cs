namespace IdentityHub.Hosting;

/// <summary>
/// When the issuer has a path (<c>https://id.example.gov/oidc</c>), the hub is published below it, whether the
/// reverse proxy passes the prefix on or strips it (docs/integration.md, "Configuration and operations"). Each
/// request gets the prefix as its <c>PathBase</c>, so OpenIddict's endpoints, cookies and pages work either way, and
/// the hub's own redirects, written as root-relative paths (<c>/login/…</c>), are given the prefix on their way out.
/// </summary>
internal static class PublicPathBase
{
    public static Func<HttpContext, RequestDelegate, Task> For(string pathBase)
    {
        var prefix = new PathString(pathBase);
        return (http, next) =>
        {
            var request = http.Request;
            if (request.Path.StartsWithSegments(prefix, out var remainder))
            {
                request.Path = remainder;
            }
            request.PathBase = prefix;
            http.Response.OnStarting(static state =>
            {
                var (response, prefix) = ((HttpResponse, PathString))state;
                var location = response.Headers.Location.ToString();
                if (location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal) && !location.StartsWith("/\\", StringComparison.Ordinal))
                {
                    response.Headers.Location = prefix + location;
                }
                return Task.CompletedTask;
            }, (http.Response, prefix));
            return next(http);
        };
    }
}
