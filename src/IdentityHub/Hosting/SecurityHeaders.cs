namespace IdentityHub.Hosting;

/// <summary>
/// Headers every hub response carries: no framing (a sign-in page inside another site is a clickjacking
/// trap), no content sniffing, nothing loaded from elsewhere, and no Referer leaking journey ids or
/// authorization parameters to the next site.
/// </summary>
internal static class SecurityHeaders
{
    public const string AdminReferencePath = "/api/admin/reference";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            // The API reference page (Development only) is a script application with inline bootstrapping.
            headers.ContentSecurityPolicy = http.Request.Path.StartsWithSegments(AdminReferencePath)
                ? "frame-ancestors 'none'"
                : "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self' http: https:; base-uri 'none'; object-src 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        });
        await next(http);
    });
}
