using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// Logging in through node-oidc-provider 9, an OpenID provider nobody on the team wrote, as an identity source
/// (docs/integration.md, "Identity sources"): pushed authorization requests, each client authentication method, ID
/// tokens signed RS256, PS256 and ES256, claims in the ID token or at userinfo (JSON or signed), with and without an
/// end-session endpoint. On PostgreSQL and on SQLite.
/// </summary>
public sealed class PostgresNodeOidcProviderTests(PostgresNodeOidcProviderFixture fixture) : NodeOidcProviderTestsOn(fixture), IClassFixture<PostgresNodeOidcProviderFixture>;

/// <summary>The same on SQLite.</summary>
public sealed class NodeOidcProviderTests(NodeOidcProviderFixture fixture) : NodeOidcProviderTestsOn(fixture), IClassFixture<NodeOidcProviderFixture>;

public abstract class NodeOidcProviderTestsOn(NodeOidcProviderFixture fixture)
{
    private string Hub => fixture.HubUrl;

    [Fact]
    public async Task SourceAdvertisingPar_GetsThePushedRequestWithClientId_AndTheBrowserCarriesOnlyItsReference()
    {
        var source = NodeOidcProviderFixture.Source("nop-basic");
        var discovery = await DiscoveryAsync(source);
        Assert.True(discovery.TryGetProperty("pushed_authorization_request_endpoint", out _), "node-oidc-provider ships with PAR on.");

        var login = await LoginAsync(source, "an.nguyen");

        // RFC 9126 section 4: the browser is sent with client_id and the request_uri the provider handed out, nothing else.
        var sent = QueryHelpers.ParseQuery(new Uri(login.AuthorizationUrl).Query);
        Assert.StartsWith(discovery.GetProperty("authorization_endpoint").GetString()!, login.AuthorizationUrl, StringComparison.Ordinal);
        Assert.Equal(["client_id", "request_uri"], sent.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(source.Id, sent["client_id"].ToString());
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", sent["request_uri"].ToString(), StringComparison.Ordinal);

        var events = (await fixture.Node.EventsAsync(source.Provider)).Skip(login.EventsBefore).ToList();
        var pushed = Assert.Single(events, e => e.Event == "pushed_authorization_request");
        Assert.Equal(source.Id, pushed.ClientId);
        Assert.Equal("client_secret_basic", pushed.ClientAuthMethod);
        Assert.True(pushed.ClientIdInBody, "RFC 9126 section 2.1: client_id is among the pushed parameters.");
        Assert.Contains(events, e => e.Event == "authorization" && e.RequestUri == sent["request_uri"].ToString());
        Assert.DoesNotContain(events, e => e.Error is not null);

        Assert.Equal("eidas2", login.IdToken.GetClaim("acr").Value);
        Assert.Equal(source.Id, login.IdToken.GetClaim("idp_id").Value);
        // The source's methods passed through (RFC 8176), as the mock provider's are.
        Assert.Equal(["otp", "pwd"], login.IdToken.Claims.Where(c => c.Type == "amr").Select(c => c.Value).Order(StringComparer.Ordinal));
        Assert.Equal("An", login.IdToken.GetClaim("given_name").Value);
        Assert.Equal("Nguyễn Văn", login.IdToken.GetClaim("family_name").Value);
        Assert.Equal("1990-03-14", login.IdToken.GetClaim("birthdate").Value);
    }

    [Theory]
    [InlineData("nop-basic", "client_secret_basic")]
    [InlineData("nop-post", "client_secret_post")]
    [InlineData("nop-jwt", "private_key_jwt")]
    public async Task EachTokenEndpointAuthMethod_AuthenticatesTheHubAtParAndToken_AndTheServiceGetsTheSamePerson(string sourceId, string method)
    {
        var source = NodeOidcProviderFixture.Source(sourceId);
        var discovery = await DiscoveryAsync(source);
        Assert.Contains(method, discovery.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()));

        var login = await LoginAsync(source, "an.nguyen");

        var events = (await fixture.Node.EventsAsync(source.Provider)).Skip(login.EventsBefore).Where(e => e.ClientId == source.Id).ToList();
        Assert.Equal(method, Assert.Single(events, e => e.Event == "pushed_authorization_request").ClientAuthMethod);
        Assert.Equal(method, Assert.Single(events, e => e.Event == "token").ClientAuthMethod);
        await AssertSamePersonAsAtTheRegistryAndTheMockAsync(login.IdToken, "demo.citizen", "an.nguyen");
        Assert.Equal("eidas2", login.IdToken.GetClaim("acr").Value);
        Assert.Equal(source.Id, login.IdToken.GetClaim("idp_id").Value);
    }

    [Theory]
    [InlineData("nop-basic", "RS256")]
    [InlineData("nop-post", "PS256")]
    [InlineData("nop-jwt", "ES256")]
    public async Task IdTokenSignedWith_EachAlgorithm_IsValidatedAgainstTheSourcesKeys(string sourceId, string alg)
    {
        var source = NodeOidcProviderFixture.Source(sourceId);
        Assert.Equal(alg, source.IdTokenAlg);
        var discovery = await DiscoveryAsync(source);
        Assert.Contains(alg, discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
        var keys = await KeyTypesAsync(discovery);
        Assert.Contains(alg == "ES256" ? "EC" : "RSA", keys);

        var login = await LoginAsync(source, "chi.le");
        Assert.Equal("Chi", login.IdToken.GetClaim("given_name").Value);
        Assert.Equal(source.Id, login.IdToken.GetClaim("idp_id").Value);
    }

    [Theory]
    [InlineData("nop-post")] // userinfo as JSON
    [InlineData("nop-signed-userinfo")] // userinfo as a JWT signed ES256
    public async Task ClaimsOnlyAtUserInfo_AreReadFromIt_AsJsonOrAsASignedJwt(string sourceId)
    {
        var source = NodeOidcProviderFixture.Source(sourceId);
        Assert.Equal("userinfo", source.ClaimsIn);
        var login = await LoginAsync(source, "binh.tran.nonumber");

        // Reconciled by the pivot identity alone (no identity number), read entirely from userinfo.
        Assert.Equal("Bình", login.IdToken.GetClaim("given_name").Value);
        Assert.Equal("Trần Thị", login.IdToken.GetClaim("family_name").Value);
        Assert.Equal(await RegistrySubjectAsync("demo.director"), login.IdToken.Subject);
    }

    [Fact]
    public async Task ClaimsOnlyInTheIdToken_WithASignedUserInfoOfSubAlone_AreReadFromTheIdToken()
    {
        var source = NodeOidcProviderFixture.Source("nop-jwt");
        Assert.Equal(("id_token", "RS256"), (source.ClaimsIn, source.UserInfoAlg));
        var login = await LoginAsync(source, "an.nguyen");

        Assert.Equal("An", login.IdToken.GetClaim("given_name").Value);
        Assert.Equal(await RegistrySubjectAsync("demo.citizen"), login.IdToken.Subject);
    }

    [Theory]
    [InlineData("nop-basic", true)]
    [InlineData("nop-nologout", false)]
    public async Task SourceWithOrWithoutEndSessionEndpoint_LogsInAndTheServiceCanLogOut(string sourceId, bool endSession)
    {
        var source = NodeOidcProviderFixture.Source(sourceId);
        var discovery = await DiscoveryAsync(source);
        Assert.Equal(endSession, discovery.TryGetProperty("end_session_endpoint", out _));

        using var browser = new LiveBrowser();
        var login = await LoginAsync(source, "an.nguyen", browser);
        Assert.Equal(await RegistrySubjectAsync("demo.citizen"), login.IdToken.Subject);

        bool AtService(string location) => location.StartsWith(OidcClient.DemoPostLogout, StringComparison.Ordinal);
        var logout = await browser.NavigateAsync(Hub + QueryHelpers.AddQueryString("/connect/endsession", new Dictionary<string, string?>
        {
            ["id_token_hint"] = login.IdTokenText,
            ["post_logout_redirect_uri"] = OidcClient.DemoPostLogout,
            ["state"] = "bye",
        }), stopAt: AtService);
        if (endSession)
        {
            // The source's end-session endpoint asks the person (oidc-provider's own page), then sends the browser
            // back to {issuer}/signout/{id}, and the hub on to the service.
            Assert.True(logout.Status == HttpStatusCode.OK && logout.Url.StartsWith(fixture.IssuerOf(source) + "/session/end", StringComparison.Ordinal),
                $"{(int)logout.Status} {logout.Url}");
            logout = await browser.SubmitAsync(logout, new() { ["logout"] = "yes" }, stopAt: AtService);
            Assert.StartsWith(Hub + "/signout/" + sourceId + "?", logout.Url, StringComparison.Ordinal);
        }
        Assert.True(logout.IsRedirect, $"{(int)logout.Status} {logout.Url}");
        Assert.Equal(OidcClient.DemoPostLogout + "?state=bye", logout.Location);

        // The hub session is over: the next login asks again.
        var again = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(), stopAt: l => !l.StartsWith(Hub, StringComparison.Ordinal));
        Assert.Contains("/login/", again.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelAtTheSource_SendsAccessDeniedBackToTheService()
    {
        var source = NodeOidcProviderFixture.Source("nop-basic");
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var signIn = await OpenSignInAsync(browser, client, source);
        var result = await browser.SubmitAsync(signIn, new() { ["person"] = "an.nguyen", ["decision"] = "cancel" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        var parameters = client.CallbackParameters(result);
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Equal(client.State, parameters["state"]);
        Assert.DoesNotContain("code", parameters.Keys);
    }

    [Fact]
    public async Task SourceRefusingThePushedRequest_GivesTheHubsErrorPageWithAWayToAnotherSource()
    {
        // Registered at the hub with a secret the provider does not know (as after a rotation done at one side only).
        var main = NodeOidcProviderFixture.Source("nop-basic");
        using (var admin = await fixture.AdminAsync())
        using (var created = await admin.PostAsJsonAsync("/api/admin/v1/identity-sources", new
        {
            id = "nop-wrong-secret",
            displayName = "node-oidc-provider (wrong secret)",
            kind = "oidc",
            authority = fixture.IssuerOf(main),
            clientId = main.Id,
            clientSecret = "not-the-secret-the-provider-knows",
            scopes = new[] { "openid", "profile" },
            acr = "eidas1",
            subjects = "individuals",
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var before = (await fixture.Node.EventsAsync(main.Provider)).Count;

        using var browser = new LiveBrowser();
        var page = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = "nop-wrong-secret" }));

        Assert.True(page.Url.Contains("/error/source_unavailable?journey=", StringComparison.Ordinal), $"{(int)page.Status} {page.Url}: {page.Html[..Math.Min(800, page.Html.Length)]}");
        Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
        Assert.Contains("/login/", page.Html, StringComparison.Ordinal); // a way to choose another source
        var refused = Assert.Single((await fixture.Node.EventsAsync(main.Provider)).Skip(before));
        Assert.Equal(("pushed_authorization_request.error", "invalid_client"), (refused.Event, refused.Error));
    }

    private sealed record Login(JsonWebToken IdToken, string IdTokenText, string AuthorizationUrl, int EventsBefore);

    /// <summary>A service's login through the hub and <paramref name="source"/>, to the code redeemed for tokens.</summary>
    private async Task<Login> LoginAsync(NodeSource source, string person, LiveBrowser? browser = null)
    {
        var before = (await fixture.Node.EventsAsync(source.Provider)).Count;
        using var own = browser is null ? new LiveBrowser() : null;
        var live = browser ?? own!;
        var client = OidcClient.Demo();
        var (signIn, authorizationUrl) = await OpenSignInWithUrlAsync(live, client, source);
        var back = await live.SubmitAsync(signIn, new() { ["person"] = person, ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        Assert.True(back.IsRedirect && back.Location!.StartsWith(client.RedirectUri, StringComparison.Ordinal),
            $"Expected the way back to the service, got {(int)back.Status} {back.Url}: {back.Html[..Math.Min(800, back.Html.Length)]}\n{fixture.Node.Log}");
        using var http = fixture.Api();
        var tokens = await client.RedeemAsync(http, client.CallbackParameters(back)["code"]);
        Assert.True(tokens.Status == HttpStatusCode.OK, tokens.Body.ToString());
        return new Login(tokens.IdTokenJwt, tokens.IdToken, authorizationUrl, before);
    }

    private async Task<Browser.Page> OpenSignInAsync(LiveBrowser browser, OidcClient client, NodeSource source) =>
        (await OpenSignInWithUrlAsync(browser, client, source)).SignIn;

    /// <summary>From the service to the source's sign-in page; also the URL the hub sent the browser to at the source.</summary>
    private async Task<(Browser.Page SignIn, string AuthorizationUrl)> OpenSignInWithUrlAsync(LiveBrowser browser, OidcClient client, NodeSource source)
    {
        var issuer = fixture.IssuerOf(source);
        var toSource = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = source.Id }),
            stopAt: l => l.StartsWith(issuer, StringComparison.Ordinal));
        Assert.True(toSource.IsRedirect && toSource.Location!.StartsWith(issuer, StringComparison.Ordinal),
            $"Expected a redirect to {issuer}, got {(int)toSource.Status} {toSource.Url}: {toSource.Html[..Math.Min(800, toSource.Html.Length)]}\n{fixture.Node.Log}");
        var signIn = await browser.NavigateAsync(toSource.Location!);
        Assert.True(signIn.Status == HttpStatusCode.OK && signIn.Url.StartsWith(issuer + "/interaction/", StringComparison.Ordinal),
            $"Expected the source's sign-in page, got {(int)signIn.Status} {signIn.Url}: {signIn.Html[..Math.Min(800, signIn.Html.Length)]}\n{fixture.Node.Log}");
        return (signIn, toSource.Location!);
    }

    private async Task AssertSamePersonAsAtTheRegistryAndTheMockAsync(JsonWebToken viaNode, string registryUsername, string mockPerson)
    {
        Assert.Equal(await RegistrySubjectAsync(registryUsername), viaNode.Subject);
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        Assert.StartsWith(fixture.Bank.Url, bank.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(bank, new() { ["person"] = mockPerson, ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        using var http = fixture.Api();
        var viaMock = (await client.RedeemAsync(http, client.CallbackParameters(back)["code"])).IdTokenJwt;
        Assert.Equal("mock-bank", viaMock.GetClaim("idp_id").Value);
        Assert.Equal(viaMock.Subject, viaNode.Subject);
    }

    private async Task<string> RegistrySubjectAsync(string username)
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "registry" }));
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        using var http = fixture.Api();
        var token = (await client.RedeemAsync(http, client.CallbackParameters(back)["code"])).IdTokenJwt;
        Assert.Equal("registry", token.GetClaim("idp_id").Value);
        return token.Subject;
    }

    private async Task<JsonElement> DiscoveryAsync(NodeSource source)
    {
        using var http = new HttpClient();
        return await http.GetFromJsonAsync<JsonElement>(fixture.IssuerOf(source) + "/.well-known/openid-configuration");
    }

    private static async Task<List<string?>> KeyTypesAsync(JsonElement discovery)
    {
        using var http = new HttpClient();
        var jwks = await http.GetFromJsonAsync<JsonElement>(discovery.GetProperty("jwks_uri").GetString());
        return [.. jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kty").GetString())];
    }
}
