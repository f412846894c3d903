using System.Net;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdentityHub.Tests.Protocol;

/// <summary>
/// The issuer is written exactly as configured, with or without a path, wherever it goes out (CONTRACT section 2):
/// strict clients compare it character for character. A bare host gains no slash, and a path issuer is where the
/// hub is published, whether the reverse proxy passes the prefix on or strips it.
/// </summary>
public sealed class ExactIssuerTests
{
    [Theory]
    [InlineData("http://localhost:4100", "")]
    [InlineData("http://localhost/oidc", "/oidc")]
    [InlineData("http://localhost/", "")]
    public async Task Issuer_AsConfigured_IsTheSameStringInDiscoveryTokensResponsesAndIntrospection(string issuer, string prefix)
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:Issuer"] = issuer });
        using var http = hub.CreateApiClient();

        var document = JsonDocument.Parse(await http.GetStringAsync(prefix + "/.well-known/openid-configuration")).RootElement;
        Assert.Equal(issuer, document.GetProperty("issuer").GetString());
        var below = issuer.TrimEnd('/') + "/";
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint", "introspection_endpoint", "revocation_endpoint" })
        {
            var url = document.GetProperty(endpoint).GetString()!;
            Assert.StartsWith(below, url, StringComparison.Ordinal);
            Assert.DoesNotContain("//connect", url, StringComparison.Ordinal);
        }

        // A login through the hub's pages stays below the issuer's path from the first redirect to the service.
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(prefix + client.AuthorizeUrl());
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        Assert.StartsWith(prefix + "/registry/signin", signIn.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        var callback = client.CallbackParameters(back);
        Assert.Equal(issuer, callback["iss"]);

        var tokens = await client.RedeemAsync(http, callback["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.Equal(issuer, tokens.IdTokenJwt.Issuer);
        Assert.Equal(issuer, new JsonWebToken(tokens.AccessToken).Issuer);

        // The hub takes its own tokens back: userinfo, refresh, introspection.
        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, prefix + "/connect/userinfo"))
        {
            userinfo.Headers.Authorization = new("Bearer", tokens.AccessToken);
            using var response = await http.SendAsync(userinfo);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(issuer, refreshed.IdTokenJwt.Issuer);
        using var introspection = await client.PostAsync(http, prefix + "/connect/introspect", new() { ["token"] = refreshed.AccessToken });
        var introspected = JsonDocument.Parse(await introspection.Content.ReadAsStringAsync()).RootElement;
        Assert.True(introspected.GetProperty("active").GetBoolean(), introspected.ToString());
        Assert.Equal(issuer, introspected.GetProperty("iss").GetString());

        // An error sent back to the service carries the same iss (RFC 9207).
        var refused = await browser.GetAsync(prefix + client.AuthorizeUrl(scope: "openid not_a_scope"));
        Assert.Equal(issuer, QueryHelpers.ParseQuery(new Uri(refused.Location!).Query)["iss"].ToString());
    }

    [Fact]
    public async Task PathIssuer_BehindAProxyThatStripsThePrefix_StillPublishesEveryUrlBelowIt()
    {
        const string issuer = "https://id.example.gov/oidc";
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:Issuer"] = issuer });
        using var http = hub.CreateApiClient();

        var document = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.Equal(issuer, document.GetProperty("issuer").GetString());
        Assert.Equal(issuer + "/connect/authorize", document.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(issuer + "/.well-known/jwks", document.GetProperty("jwks_uri").GetString());

        // The hub's own redirects carry the prefix the person's browser must use.
        using var browser = hub.CreateBrowser();
        var first = await browser.GetAsync(OidcClient.Demo().AuthorizeUrl());
        Assert.True(first.IsRedirect);
        Assert.StartsWith("/oidc/registry/signin?", first.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_DoesNotTakeItsUrlsFromTheRequestsHost()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:Issuer"] = "http://localhost:4100" });
        using var http = hub.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Host = "attacker.example";
        using var poisoned = await http.SendAsync(request);
        Assert.DoesNotContain("attacker.example", await poisoned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", await http.GetStringAsync("/.well-known/openid-configuration"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://id.example.gov")]
    [InlineData("https://id.example.gov/?tenant=1")]
    [InlineData("/relative/path")]
    public async Task Issuer_ThatIsNotAnAbsoluteHttpUrl_StopsTheStartWithAMessageNamingIt(string issuer)
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:Issuer"] = issuer });
        var failure = Assert.ThrowsAny<Exception>(() => hub.CreateApiClient());
        Assert.Contains("Hub:Issuer", failure.ToString(), StringComparison.Ordinal);
    }
}
