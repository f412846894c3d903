using System.Net;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Protocol;

/// <summary>Discovery and JWKS tell services how long to keep them, and revalidate cheaply (CONTRACT section 2).</summary>
public sealed class MetadataCachingTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Theory]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.well-known/jwks")]
    public async Task Metadata_CarriesCacheControlAndAnETag_AndAnswers304WhenItDidNotChange(string path)
    {
        using var http = hub.CreateApiClient();
        using var first = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(first.Headers.CacheControl!.Public);
        Assert.Equal(TimeSpan.FromHours(1), first.Headers.CacheControl.MaxAge);
        Assert.False(first.Headers.CacheControl.NoStore);
        Assert.False(first.Headers.Contains("Pragma"));
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(etag);
        using var revalidated = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal(etag, revalidated.Headers.ETag);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Get, path);
        stale.Headers.TryAddWithoutValidation("If-None-Match", "\"0123\", W/\"4567\"");
        using var full = await http.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await full.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DiscoveryAndJwks_HaveDifferentETags()
    {
        using var http = hub.CreateApiClient();
        using var discovery = await http.GetAsync("/.well-known/openid-configuration");
        using var jwks = await http.GetAsync("/.well-known/jwks");
        Assert.NotEqual(discovery.Headers.ETag, jwks.Headers.ETag);
    }
}
