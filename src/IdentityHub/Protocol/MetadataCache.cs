using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using OpenIddict.Server;

namespace IdentityHub.Protocol;

/// <summary>
/// Discovery and JWKS are the same document for every caller until the server options change (new keys,
/// new settings), yet OpenIddict builds them on every request (bench/README.md: JWKS at 0.29× the peer). The
/// first answer is kept and served until then. Several instances built from the same database serve the same bytes,
/// and so the same <c>ETag</c>: a client revalidates with <c>If-None-Match</c> and gets a 304 on any instance. The
/// hour of <c>max-age</c> is at most the time a new key is published before it signs (<c>Hub:Keys:PublishBeforeUseHours</c>,
/// docs/design.md "Keys"), so a service that honours it always knows a key before it sees a token signed with it.
/// </summary>
internal sealed class MetadataCache
{
    public static readonly string[] Paths = ["/.well-known/openid-configuration", "/.well-known/jwks"];

    public const string CacheControl = "public, max-age=3600";

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    public MetadataCache(IOptionsMonitor<OpenIddictServerOptions> options) => options.OnChange(_ =>
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    });

    private sealed record Entry(byte[] Body, string ContentType, string ETag);

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
            await WriteAsync(http, cached);
            return;
        }

        // An answer built from options replaced meanwhile (a key rotation) is sent, not kept.
        var generation = Interlocked.Read(ref _generation);
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
            var entry = new Entry(body, contentType, ETagOf(body));
            if (Interlocked.Read(ref _generation) == generation)
            {
                entry = _entries.GetOrAdd(path, entry);
            }
            http.Response.Headers.Remove(HeaderNames.Pragma);
            http.Response.Headers.Remove(HeaderNames.Expires);
            await WriteAsync(http, entry);
            return;
        }
        await original.WriteAsync(body, http.RequestAborted);
    }

    private static Task WriteAsync(HttpContext http, Entry entry)
    {
        var response = http.Response;
        response.Headers.CacheControl = CacheControl;
        response.Headers.ETag = entry.ETag;
        if (Matches(http.Request.Headers.IfNoneMatch, entry.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = entry.ContentType;
        response.ContentLength = entry.Body.Length;
        return response.Body.WriteAsync(entry.Body, http.RequestAborted).AsTask();
    }

    /// <summary>RFC 9110 13.1.2: weak comparison, any listed tag or <c>*</c>.</summary>
    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0)
        {
            return false;
        }
        foreach (var value in ifNoneMatch)
        {
            foreach (var candidate in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
                if (tag == "*" || string.Equals(tag, etag, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static string ETagOf(byte[] body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16))}\"";
}
