using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdentityHub.Tests.Protocol;

/// <summary>The whole authorization code flow, as a relying party sees it, on each database provider.</summary>
public abstract class LoginFlowTests(HubFactory hub)
{
    [Fact]
    public async Task CodeFlow_DemoCitizen_GetsSignedTokensUserinfoRefreshAndRevocation()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var callback = await client.LoginAsync(browser);
        Assert.Equal(client.State, callback["state"]);
        Assert.Equal(HubFactory.Issuer, callback["iss"]);

        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, callback["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);

        // ID token: signed by a key from the JWKS, for this client, with the pivot identity and how the person came in.
        var keys = new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks"));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.IdToken, new TokenValidationParameters
        {
            ValidIssuer = HubFactory.Issuer,
            ValidAudience = OidcClient.DemoClientId,
            IssuerSigningKeys = keys.GetSigningKeys(),
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var id = tokens.IdTokenJwt;
        Assert.Equal("RS256", id.Alg);
        Assert.Equal(client.Nonce, id.GetClaim("nonce").Value);
        Assert.Equal("eidas1", id.GetClaim("acr").Value);
        Assert.Equal("registry", id.GetClaim("idp_id").Value);
        Assert.Equal("[\"pwd\"]", JsonSerializer.Serialize(JsonDocument.Parse(id.EncodedPayload.Length > 0 ? Base64UrlEncoder.Decode(id.EncodedPayload) : "{}").RootElement.GetProperty("amr")));
        Assert.True(long.Parse(id.GetClaim("auth_time").Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("An", id.GetClaim("given_name").Value);
        Assert.Equal("Nguyễn Văn", id.GetClaim("family_name").Value);
        Assert.Equal("1990-03-14", id.GetClaim("birthdate").Value);
        Assert.Equal("male", id.GetClaim("gender").Value);
        Assert.Equal("01001", id.GetClaim("birthplace").Value);
        Assert.Equal("VN", id.GetClaim("birthcountry").Value);
        Assert.Equal("demo.citizen@example.vn", id.GetClaim("email").Value);
        Assert.False(id.TryGetClaim("phone_number", out _)); // phone was not asked for
        Assert.False(id.TryGetClaim("identity_number", out _));
        var sub = id.Subject;
        Assert.Matches("^[A-Za-z0-9_-]{43}$", sub);

        // The access token is a signed JWT a resource server can validate; it carries no personal data.
        var access = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(sub, access.Subject);
        Assert.False(access.TryGetClaim("given_name", out _));
        Assert.False(access.TryGetClaim("email", out _));

        // userinfo answers GET and POST with the same claims.
        var userinfo = await UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal(sub, userinfo.GetProperty("sub").GetString());
        Assert.Equal("An", userinfo.GetProperty("given_name").GetString());
        Assert.Equal("01001", userinfo.GetProperty("birthplace").GetString());
        Assert.True(userinfo.GetProperty("email_verified").GetBoolean());
        Assert.False(userinfo.TryGetProperty("phone_number", out _));
        var posted = await UserInfoAsync(http, HttpMethod.Post, tokens.AccessToken);
        Assert.Equal(userinfo.ToString(), posted.ToString());

        // Refresh: a new refresh token each time.
        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.NotEqual(tokens.RefreshToken, refreshed.RefreshToken);
        Assert.Equal(sub, new JsonWebToken(refreshed.AccessToken).Subject);

        // Revocation: the refresh token stops working, and introspection says so.
        using (var revoke = await client.PostAsync(http, "/connect/revoke", new() { ["token"] = refreshed.RefreshToken, ["token_type_hint"] = "refresh_token" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        Assert.Equal("invalid_grant", (await client.RefreshAsync(http, refreshed.RefreshToken)).Error);
        Assert.False(await IsActiveAsync(client, http, refreshed.RefreshToken));
        Assert.True(await IsActiveAsync(client, http, refreshed.AccessToken));
    }

    [Fact]
    public async Task TokenRows_AreKeptForCodesAccessAndRefreshTokens_NotForIdentityTokens()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);

        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>();
        // The access token's jti is its row's id (docs/design.md, "Scopes and claims").
        var tokenId = new JsonWebToken(tokens.AccessToken).Id;
        var authorizationId = await db.Set<OpenIddictEntityFrameworkCoreToken>().Where(t => t.Id == tokenId).Select(t => t.Authorization!.Id).SingleAsync();
        var rows = await db.Set<OpenIddictEntityFrameworkCoreToken>().Where(t => t.Authorization!.Id == authorizationId)
            .GroupBy(t => t.Type).Select(g => new { Type = g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Type!, g => g.Count);
        Assert.Equal(1, rows["urn:openiddict:params:oauth:token-type:authorization_code"]);
        Assert.Equal(2, rows["urn:ietf:params:oauth:token-type:access_token"]);
        Assert.Equal(2, rows["urn:ietf:params:oauth:token-type:refresh_token"]);
        // Without a row an identity token still serves as id_token_hint: EndSession_WithIdTokenHint_* below.
        Assert.False(rows.ContainsKey("urn:ietf:params:oauth:token-type:id_token"));
    }

    [Fact]
    public async Task CodesAndRefreshTokens_AreSignedWithTheEcdsaKey_IdentityAndAccessTokensWithRsa()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);

        var options = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions>>().CurrentValue;
        var decryption = new TokenValidationParameters { TokenDecryptionKeys = [.. options.EncryptionCredentials.Select(c => c.Key)] };
        var handler = new JsonWebTokenHandler();
        string InnerAlgorithm(string token) => new JsonWebToken(handler.DecryptToken(new JsonWebToken(token), decryption)).Alg;
        // The code handed out is a reference; the token itself is its row's payload.
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>();
        var accessTokenId = new JsonWebToken(tokens.AccessToken).Id;
        var authorizationId = await db.Set<OpenIddictEntityFrameworkCoreToken>().Where(t => t.Id == accessTokenId).Select(t => t.Authorization!.Id).SingleAsync();
        var codePayload = await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Authorization!.Id == authorizationId && t.Type == "urn:openiddict:params:oauth:token-type:authorization_code")
            .Select(t => t.Payload).SingleAsync();
        Assert.Equal("ES256", InnerAlgorithm(codePayload!));
        Assert.Equal("ES256", InnerAlgorithm(tokens.RefreshToken));
        Assert.Equal("RS256", tokens.IdTokenJwt.Alg);
        Assert.Equal("RS256", new JsonWebToken(tokens.AccessToken).Alg);
    }

    [Fact]
    public async Task Code_RedeemedTwice_IsRefusedAndRevokesTokensIssuedFromIt()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var code = (await client.LoginAsync(browser))["code"];
        var first = await client.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.OK, first.Status);

        var second = await client.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
        Assert.Equal("invalid_grant", second.Error);
        Assert.False(await IsActiveAsync(client, http, first.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(http, first.AccessToken));
        Assert.Equal("invalid_grant", (await client.RefreshAsync(http, first.RefreshToken)).Error);
    }

    [Fact]
    public async Task RefreshToken_PresentedAgainAfterUse_IsRefusedAndRevokesTheFamily()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        var rotated = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, rotated.Status);

        var replay = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal("invalid_grant", replay.Error);
        // The thief's replay burns the legitimate holder's newer tokens too (OAuth 2.0 Security BCP 4.14.2).
        Assert.Equal("invalid_grant", (await client.RefreshAsync(http, rotated.RefreshToken)).Error);
        Assert.False(await IsActiveAsync(client, http, rotated.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(http, rotated.AccessToken));
    }

    [Fact]
    public async Task RefreshToken_PresentedSeveralTimesAtOnce_IsRedeemedOnce()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.RefreshAsync(http, tokens.RefreshToken)));
        var winners = attempts.Where(a => a.Status == HttpStatusCode.OK).ToList();
        Assert.Single(winners);
        Assert.All(attempts.Except(winners), a => Assert.True(a.Error == "invalid_grant", $"{a.Status}: {a.Body}"));
        // Two holders of one refresh token: whichever won, the family is burnt.
        var after = await client.RefreshAsync(http, winners[0].RefreshToken);
        Assert.True(after.Error == "invalid_grant", $"the winner's new refresh token: {after.Status} {after.Body}");
    }

    [Fact]
    public async Task Code_WithoutOrWithWrongVerifier_IsRefused()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var code = (await client.LoginAsync(browser))["code"];
        var missing = await client.TokenAsync(http, new() { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = client.RedirectUri });
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal("invalid_request", missing.Error);

        var wrong = await client.RedeemAsync(http, code, verifier: new string('a', 43));
        Assert.Equal("invalid_grant", wrong.Error);
    }

    [Fact]
    public async Task TokenRequest_WithWrongClientSecret_IsInvalidClient()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var code = (await client.LoginAsync(browser))["code"];
        var response = await client.TokenAsync(http, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = client.RedirectUri,
            ["code_verifier"] = client.Verifier,
        }, secretOverride: "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("invalid_client", response.Error);
    }

    [Fact]
    public async Task SecondLogin_WithHubSession_IsSilentButPromptLoginAsksAgain()
    {
        using var browser = hub.CreateBrowser();
        var first = OidcClient.Demo();
        await first.LoginAsync(browser);

        var silent = OidcClient.Demo();
        var page = await browser.NavigateAsync(silent.AuthorizeUrl());
        Assert.Contains("code", silent.CallbackParameters(page).Keys);

        var forced = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(forced.AuthorizeUrl(extra: new() { ["prompt"] = "login" }));
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        Assert.Contains("code", forced.CallbackParameters(back).Keys);
    }

    [Fact]
    public async Task PromptNone_WithoutSession_ReturnsLoginRequired()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var page = await browser.NavigateAsync(client.AuthorizeUrl(extra: new() { ["prompt"] = "none" }));
        var parameters = client.CallbackParameters(page);
        Assert.Equal("login_required", parameters["error"]);
        Assert.Equal(client.State, parameters["state"]);
        Assert.Equal(HubFactory.Issuer, parameters["iss"]);
    }

    [Theory]
    [InlineData("none")]
    [InlineData(null)]
    public async Task IdTokenHint_NamingAnotherPersonThanTheSession_IsLoginRequired(string? prompt)
    {
        using var http = hub.CreateApiClient();
        using var citizenBrowser = hub.CreateBrowser();
        var citizen = OidcClient.Demo();
        var citizenToken = (await citizen.RedeemAsync(http, (await citizen.LoginAsync(citizenBrowser))["code"])).IdToken;

        using var browser = hub.CreateBrowser();
        await OidcClient.Demo().LoginAsync(browser, username: "demo.director");
        var client = OidcClient.Demo();
        var page = await browser.NavigateAsync(client.AuthorizeUrl(extra: new() { ["prompt"] = prompt, ["id_token_hint"] = citizenToken }));
        var parameters = client.CallbackParameters(page);
        Assert.Equal("login_required", parameters["error"]);
        Assert.Equal(client.State, parameters["state"]);
        Assert.DoesNotContain("code", parameters.Keys);

        // The hint of the person signed in is answered at once.
        var own = OidcClient.Demo();
        var silent = await citizenBrowser.NavigateAsync(own.AuthorizeUrl(extra: new() { ["prompt"] = prompt, ["id_token_hint"] = citizenToken }));
        Assert.Contains("code", own.CallbackParameters(silent).Keys);
    }

    [Fact]
    public async Task ClientCredentials_IssuesAJwtThatUserinfoRefuses()
    {
        using var http = hub.CreateApiClient();
        var client = new OidcClient("cc-" + Guid.NewGuid().ToString("N")[..8], "a-long-random-client-secret-for-tests", "http://unused.example/");
        var descriptor = new OpenIddict.Abstractions.OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = "a-long-random-client-secret-for-tests",
            ClientType = "confidential",
        };
        descriptor.Permissions.UnionWith(["ept:token", "gt:client_credentials"]);
        await hub.RegisterClientAsync(descriptor);

        var response = await client.TokenAsync(http, new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var jwt = new JsonWebToken(response.AccessToken);
        Assert.Equal(client.ClientId, jwt.Subject);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", response.AccessToken);
        using var userinfo = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, userinfo.StatusCode);
        Assert.Contains("invalid_token", userinfo.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndSession_WithIdTokenHint_EndsTheHubSessionAndReturnsToTheService()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);

        var logout = await browser.NavigateAsync("/connect/endsession?" + string.Join('&',
            $"id_token_hint={tokens.IdToken}",
            $"post_logout_redirect_uri={Uri.EscapeDataString(OidcClient.DemoPostLogout)}",
            "state=bye"));
        Assert.True(logout.IsRedirect);
        Assert.Equal(OidcClient.DemoPostLogout + "?state=bye", logout.Location);

        // The session is gone: the next login asks for the password again.
        var next = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        Assert.StartsWith("/registry/signin", next.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndSession_WithUnregisteredPostLogoutUri_ShowsAnErrorAndNeverRedirects()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        var page = await browser.GetAsync($"/connect/endsession?id_token_hint={tokens.IdToken}&post_logout_redirect_uri={Uri.EscapeDataString("https://evil.example/")}");
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("invalid_request", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndSession_WithoutHint_AsksForConfirmation()
    {
        using var browser = hub.CreateBrowser();
        await OidcClient.Demo().LoginAsync(browser);
        var confirm = await browser.NavigateAsync($"/connect/endsession?post_logout_redirect_uri={Uri.EscapeDataString(OidcClient.DemoPostLogout)}&client_id=sample-service&state=s1");
        Assert.Equal(HttpStatusCode.OK, confirm.Status);
        Assert.StartsWith("/logout", confirm.Url, StringComparison.Ordinal);
        var done = await browser.SubmitAsync(confirm, []);
        Assert.True(done.IsRedirect, $"{(int)done.Status} {done.Url} {done.Html[..Math.Min(3000, done.Html.Length)]}");
        Assert.Equal(OidcClient.DemoPostLogout + "?state=s1", done.Location);
    }

    private static async Task<JsonElement> UserInfoAsync(HttpClient http, HttpMethod method, string accessToken)
    {
        using var request = new HttpRequestMessage(method, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (method == HttpMethod.Post)
        {
            request.Content = new FormUrlEncodedContent([]);
        }
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<HttpStatusCode> UserInfoStatusAsync(HttpClient http, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<bool> IsActiveAsync(OidcClient client, HttpClient http, string token)
    {
        using var response = await client.PostAsync(http, "/connect/introspect", new() { ["token"] = token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("active").GetBoolean();
    }
}

public sealed class SqliteLoginFlowTests(SqliteHub hub) : LoginFlowTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresLoginFlowTests(PostgresHub hub) : LoginFlowTests(hub), IClassFixture<PostgresHub>;
