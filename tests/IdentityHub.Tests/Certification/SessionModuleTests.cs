using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdentityHub.Tests.Certification;

/// <summary>A PostgreSQL hub whose clock the tests move: the modules that wait (1 s, 30 s) do not.</summary>
public sealed class ClockedPostgresHub : HubFactory
{
    public ClockedPostgresHub() : this(new FakeTimeProvider(DateTimeOffset.UtcNow))
    {
    }

    private ClockedPostgresHub(FakeTimeProvider clock) : base(HubDatabase.Postgres, NewDatabaseAsync(HubDatabase.Postgres).GetAwaiter().GetResult(), time: clock) =>
        Clock = clock;

    public FakeTimeProvider Clock { get; }
}

/// <summary>
/// Modules of the OpenID Foundation's Basic OP plan (oidcc-basic-certification-test-plan) that log in twice, or use a
/// token again after a while: single sign-on, prompt, max_age, id_token_hint, code reuse and refresh. One test per
/// module, named after it; the suite's waits are moves of the hub's clock.
/// </summary>
public sealed class SessionModuleTests(ClockedPostgresHub hub) : IClassFixture<ClockedPostgresHub>
{
    [Fact]
    public async Task oidcc_prompt_login()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var first = await LoginAsync(browser, http, issuer);
        hub.Clock.Advance(TimeSpan.FromSeconds(1));

        // The session would do, but prompt=login asks for the password again, and auth_time moves.
        var second = await SignInAgainAsync(browser, http, issuer, new() { ["prompt"] = "login" });
        Assert.Equal(BasicOpChecks.AuthTime(first) + 1, BasicOpChecks.AuthTime(second));
        Assert.Equal(first.Subject, second.Subject);
    }

    [Fact]
    public async Task oidcc_prompt_none_logged_in()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var first = await LoginAsync(browser, http, issuer);
        hub.Clock.Advance(TimeSpan.FromSeconds(5));

        var second = await SilentAsync(browser, http, issuer, new() { ["prompt"] = "none" });
        Assert.Equal(BasicOpChecks.AuthTime(first), BasicOpChecks.AuthTime(second));
        Assert.Equal(first.Subject, second.Subject);
    }

    [Fact]
    public async Task oidcc_max_age_1()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var first = await LoginAsync(browser, http, issuer);
        hub.Clock.Advance(TimeSpan.FromSeconds(2));

        // The authentication is older than max_age: the person signs in again, and auth_time is now.
        var second = await SignInAgainAsync(browser, http, issuer, new() { ["max_age"] = "1" });
        Assert.Equal(BasicOpChecks.AuthTime(first) + 2, BasicOpChecks.AuthTime(second));
        Assert.Equal(hub.Clock.GetUtcNow().ToUnixTimeSeconds(), BasicOpChecks.AuthTime(second));
        Assert.Equal(first.Subject, second.Subject);
    }

    [Fact]
    public async Task oidcc_max_age_10000()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var first = await RedeemAsync(http, client,
            await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid", new() { ["max_age"] = "15000" })), issuer);
        hub.Clock.Advance(TimeSpan.FromSeconds(40));

        // Well within max_age: single sign-on, the same authentication.
        var second = await SilentAsync(browser, http, issuer, new() { ["max_age"] = "10000" });
        Assert.Equal(BasicOpChecks.AuthTime(first), BasicOpChecks.AuthTime(second));
        Assert.Equal(first.Subject, second.Subject);
    }

    [Fact]
    public async Task oidcc_id_token_hint()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var tokens = await client.RedeemAsync(http, await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid")));
        var first = await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        hub.Clock.Advance(TimeSpan.FromSeconds(3));

        var second = await SilentAsync(browser, http, issuer, new() { ["prompt"] = "none", ["id_token_hint"] = tokens.IdToken });
        Assert.Equal(BasicOpChecks.AuthTime(first), BasicOpChecks.AuthTime(second));
        Assert.Equal(first.Subject, second.Subject);
    }

    [Fact]
    public async Task oidcc_codereuse_30seconds()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid offline_access"));
        var tokens = await client.RedeemAsync(http, code);
        await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        Assert.Equal(HttpStatusCode.OK, await UserInfoStatusAsync(http, tokens.AccessToken));

        // 30 seconds on, the code is still within its lifetime but spent: refused, and what it gave is revoked
        // (RFC 6749 4.1.2).
        hub.Clock.Advance(TimeSpan.FromSeconds(30));
        var again = await client.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("invalid_grant", again.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(http, tokens.AccessToken));
        Assert.Equal("invalid_grant", (await client.RefreshAsync(http, tokens.RefreshToken)).Error);
    }

    [Fact]
    public async Task oidcc_refresh_token()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        // The suite asks offline_access with prompt=consent (OIDC Core 11).
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid offline_access", new() { ["prompt"] = "consent" }));
        var tokens = await client.RedeemAsync(http, code);
        var first = await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        Assert.Matches("^[\\x20-\\x7E]+$", tokens.RefreshToken); // RFC 6749 A.17
        hub.Clock.Advance(TimeSpan.FromSeconds(1));

        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal("Bearer", refreshed.Get("token_type"));
        Assert.NotEqual(tokens.AccessToken, refreshed.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await UserInfoStatusAsync(http, refreshed.AccessToken));
        // OIDC Core 12.2: the same issuer, subject, audience and auth_time; a new issue time; azp as before.
        var second = refreshed.IdTokenJwt;
        Assert.Equal(first.Issuer, second.Issuer);
        Assert.Equal(first.Subject, second.Subject);
        Assert.Equal(first.Audiences, second.Audiences);
        Assert.Equal(BasicOpChecks.AuthTime(first), BasicOpChecks.AuthTime(second));
        Assert.True(second.IssuedAt > first.IssuedAt);
        Assert.Equal(first.TryGetClaim("azp", out var azp1) ? azp1.Value : null, second.TryGetClaim("azp", out var azp2) ? azp2.Value : null);

        // A refresh token is bound to its client: another service cannot use it.
        var other = await OtherClientAsync();
        using var otherBrowser = hub.CreateBrowser();
        var otherCode = await BasicOpChecks.LoginAsync(otherBrowser, other, issuer, other.AuthorizeUrl("openid offline_access", new() { ["prompt"] = "consent" }));
        var otherTokens = await other.RedeemAsync(http, otherCode);
        Assert.Equal(HttpStatusCode.OK, otherTokens.Status);
        var stolen = await client.RefreshAsync(http, otherTokens.RefreshToken);
        Assert.Equal(HttpStatusCode.BadRequest, stolen.Status);
        Assert.Equal("invalid_grant", stolen.Error);
    }

    /// <summary>A first registry login of the demo citizen in this browser, redeemed and checked.</summary>
    private static async Task<JsonWebToken> LoginAsync(Browser browser, HttpClient http, string issuer)
    {
        var client = BasicOpChecks.SuiteClient();
        return await RedeemAsync(http, client, await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid")), issuer);
    }

    /// <summary>A second authorization the session answers at once: no page, straight back to the service with a code.</summary>
    /// <summary>A login the session cannot satisfy: the registry asks for the password again.</summary>
    private static async Task<JsonWebToken> SignInAgainAsync(Browser browser, HttpClient http, string issuer, Dictionary<string, string?> extra)
    {
        var client = BasicOpChecks.SuiteClient();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl("openid", extra));
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = BasicOpChecks.Password });
        return await RedeemAsync(http, client, BasicOpChecks.Code(client.CallbackParameters(back), client, issuer), issuer);
    }

    private static async Task<JsonWebToken> SilentAsync(Browser browser, HttpClient http, string issuer, Dictionary<string, string?> extra)
    {
        var client = BasicOpChecks.SuiteClient();
        var page = await browser.NavigateAsync(client.AuthorizeUrl("openid", extra));
        return await RedeemAsync(http, client, BasicOpChecks.Code(client.CallbackParameters(page), client, issuer), issuer);
    }

    private static async Task<JsonWebToken> RedeemAsync(HttpClient http, OidcClient client, string code, string issuer) =>
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);

    private static async Task<HttpStatusCode> UserInfoStatusAsync(HttpClient http, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<OidcClient> OtherClientAsync()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "refresh-" + Guid.NewGuid().ToString("N")[..8];
        const string RedirectUri = "https://other.gov.vn/cb";
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Another service",
            clientType = "confidential",
            redirectUris = new[] { RedirectUri },
            allowedScopes = new[] { "openid", "offline_access" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString();
        return new OidcClient(clientId, secret, RedirectUri) { Pkce = false };
    }
}
