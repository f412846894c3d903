using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace IdentityHub.Protocol;

/// <summary>
/// Discovery and JWKS are the same document for every caller until the server options change (new keys,
/// new settings), yet OpenIddict builds them on every request (bench/README.md: JWKS at 0.29× the peer). The
/// first answer is kept and served until then. Several instances built from the same database serve the same bytes.
/// </summary>
internal sealed class MetadataCache
{
    public static readonly string[] Paths = ["/.well-known/openid-configuration", "/.well-known/jwks"];

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public MetadataCache(IOptionsMonitor<OpenIddictServerOptions> options) => options.OnChange(_ => _entries.Clear());

    private sealed record Entry(byte[] Body, string ContentType, string? CacheControl);

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var path = http.Request.Path.Value;
        if (!HttpMethods.IsGet(http.Request.Method) || path is null || !Paths.Contains(path) || http.Request.QueryString.HasValue)
        {
            await next(http);
            return;
        }
        if (_entries.TryGetValue(path, out var cached))
        {
            http.Response.ContentType = cached.ContentType;
            http.Response.Headers.CacheControl = cached.CacheControl;
            http.Response.ContentLength = cached.Body.Length;
            await http.Response.Body.WriteAsync(cached.Body, http.RequestAborted);
            return;
        }

        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        var body = buffer.ToArray();
        if (http.Response.StatusCode == StatusCodes.Status200OK && http.Response.ContentType is { } contentType)
        {
            _entries.TryAdd(path, new Entry(body, contentType, http.Response.Headers.CacheControl));
        }
        await original.WriteAsync(body, http.RequestAborted);
    }
}
