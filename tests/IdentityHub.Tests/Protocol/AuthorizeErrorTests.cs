using System.Net;
using System.Net.Http.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Protocol;

/// <summary>
/// Errors at /connect/authorize: those that cannot be trusted to go back to the service are shown by the hub,
/// the rest go to the registered redirect URI with state and iss (RFC 6749 4.1.2.1, RFC 9207).
/// </summary>
public sealed class AuthorizeErrorTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Authorize_WithUnregisteredRedirectUri_ShowsAnErrorPageAndNeverRedirects()
    {
        using var browser = hub.CreateBrowser();
        var client = new OidcClient(OidcClient.DemoClientId, OidcClient.DemoSecret, "https://attacker.example/callback");
        var page = await browser.GetAsync(client.AuthorizeUrl());
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
        Assert.Contains("invalid_request", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_WithRedirectUriDifferingOnlyByATrailingSlash_IsRefused()
    {
        using var browser = hub.CreateBrowser();
        var client = new OidcClient(OidcClient.DemoClientId, OidcClient.DemoSecret, OidcClient.DemoRedirect + "/");
        var page = await browser.GetAsync(client.AuthorizeUrl());
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
    }

    [Fact]
    public async Task Authorize_WithUnknownClient_ShowsAnErrorPage()
    {
        using var browser = hub.CreateBrowser();
        var page = await browser.GetAsync(new OidcClient("nobody", null, OidcClient.DemoRedirect).AuthorizeUrl());
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("client_id", page.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("state")]
    [InlineData("nonce")]
    public async Task Authorize_WithoutStateOrNonce_IsInvalidRequestAtTheRedirectUriAndYieldsNoCode(string missing)
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var page = await browser.GetAsync(client.AuthorizeUrl(omit: missing));
        var parameters = client.CallbackParameters(page);
        Assert.Equal("invalid_request", parameters["error"]);
        Assert.Contains(missing, parameters["error_description"], StringComparison.Ordinal);
        Assert.DoesNotContain("code", parameters.Keys);
    }

    [Fact]
    public async Task Authorize_FromAPublicClientWithoutCodeChallenge_IsInvalidRequestAtTheRedirectUri()
    {
        using var admin = await hub.CreateAdminClientAsync();
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId = "public-without-pkce",
            displayName = "A public service",
            clientType = "public",
            redirectUris = new[] { "https://public.gov.vn/callback" },
            allowedScopes = new[] { "openid" },
            consent = "implicit",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var browser = hub.CreateBrowser();
        var client = new OidcClient("public-without-pkce", null, "https://public.gov.vn/callback") { Pkce = false };
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl("openid")));
        Assert.Equal("invalid_request", parameters["error"]);
        Assert.Contains("code_challenge", parameters["error_description"], StringComparison.Ordinal);
        Assert.Equal(client.State, parameters["state"]);
        Assert.DoesNotContain("code", parameters.Keys);
    }

    [Fact]
    public async Task Authorize_FromAConfidentialClientWithoutCodeChallenge_GivesACodeRedeemedWithoutVerifierOnly()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = new OidcClient(OidcClient.DemoClientId, OidcClient.DemoSecret, OidcClient.DemoRedirect) { Pkce = false };
        var callback = await client.LoginAsync(browser, url: client.AuthorizeUrl("openid"));

        // A verifier for a code issued without a challenge is refused: PKCE cannot be added after the fact.
        var withVerifier = await client.RedeemAsync(http, callback["code"], verifier: client.Verifier);
        Assert.Equal("invalid_request", withVerifier.Error);

        using var again = hub.CreateBrowser();
        var second = new OidcClient(OidcClient.DemoClientId, OidcClient.DemoSecret, OidcClient.DemoRedirect) { Pkce = false };
        var secondCallback = await second.LoginAsync(again, url: second.AuthorizeUrl("openid"));
        var tokens = await second.RedeemAsync(http, secondCallback["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.Equal(second.Nonce, tokens.IdTokenJwt.GetClaim("nonce").Value);
    }

    [Fact]
    public async Task Authorize_WithPlainCodeChallenge_IsRefused()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl(extra: new() { ["code_challenge_method"] = "plain" })));
        Assert.Equal("invalid_request", parameters["error"]);
    }

    [Theory]
    [InlineData("openid phone")]          // a known scope the service is not allowed
    [InlineData("openid identity_number")] // restricted
    [InlineData("openid unheard_of")]     // unknown
    public async Task Authorize_WithScopeOutsideAllowedScopes_IsInvalidScopeAtTheRedirectUri(string scope)
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl(scope)));
        Assert.Equal("invalid_scope", parameters["error"]);
        Assert.Equal(client.State, parameters["state"]);
        Assert.Equal(HubFactory.Issuer, parameters["iss"]);
    }

    [Fact]
    public async Task Authorize_WithImplicitResponseType_IsRefused()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var page = await browser.GetAsync(client.AuthorizeUrl(extra: new() { ["response_type"] = "id_token" }));
        Assert.NotEqual(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain("id_token=", page.Location ?? "", StringComparison.Ordinal);
    }
}

public sealed class AssuranceTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Authorize_AskingAHigherLevelThanAnySourceReaches_IsAccessDeniedWithADescription()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas3" })));
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Contains("eidas3", parameters["error_description"], StringComparison.Ordinal);
        Assert.Equal(client.State, parameters["state"]);
        Assert.Equal(HubFactory.Issuer, parameters["iss"]);
    }

    [Fact]
    public async Task Authorize_WithAnEssentialAcrInTheClaimsParameter_IsTreatedLikeAcrValues()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var claims = """{"id_token":{"acr":{"essential":true,"values":["eidas3"]}}}""";
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl(extra: new() { ["claims"] = claims })));
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Contains("eidas3", parameters["error_description"], StringComparison.Ordinal);

        // The lowest of the essential values is the level asked: the registry reaches eidas2.
        var lowest = """{"id_token":{"acr":{"essential":true,"values":["eidas2","eidas3"]}}}""";
        var offered = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: new() { ["claims"] = lowest }));
        Assert.StartsWith("/registry/signin", offered.Url, StringComparison.Ordinal);

        // Not essential: a wish, not a requirement.
        var voluntary = OidcClient.Demo();
        var page = await browser.NavigateAsync(voluntary.AuthorizeUrl(extra: new() { ["claims"] = """{"id_token":{"acr":{"values":["eidas3"]}}}""" }));
        Assert.StartsWith("/registry/signin", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_WithAClaimsParameterThatIsNotJson_IsInvalidRequest()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl(extra: new() { ["claims"] = "{not json" })));
        Assert.Equal("invalid_request", parameters["error"]);
        Assert.Contains("claims", parameters["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_ForAServiceWithAMinimumLevel_OffersOnlySourcesReachingIt()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "strict-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Strict service",
            clientType = "confidential",
            redirectUris = new[] { "https://strict.gov.vn/cb" },
            allowedScopes = new[] { "openid" },
            minimumAcr = "eidas3",
        });
        var secret = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("clientSecret").GetString();
        var client = new OidcClient(clientId, secret, "https://strict.gov.vn/cb");
        using var browser = hub.CreateBrowser();
        // Asking eidas1 does not lower the service's minimum.
        var parameters = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl("openid", extra: new() { ["acr_values"] = "eidas1" })));
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Contains("eidas3", parameters["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_AskingTheLowestOfSeveralLevels_LogsInAtThatLevel()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var callback = await client.LoginAsync(browser, url: client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas3 eidas1" }));
        var tokens = await client.RedeemAsync(http, callback["code"]);
        Assert.Equal("eidas1", tokens.IdTokenJwt.GetClaim("acr").Value);
    }

}

/// <summary><c>max_age</c> against the hub's clock, moved by the test rather than waited for.</summary>
public sealed class MaxAgeTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private HubFactory _hub = null!;

    public async Task InitializeAsync() => _hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, time: _time);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Authorize_WithMaxAgeExceeded_AsksForThePasswordAgain()
    {
        using var browser = _hub.CreateBrowser();
        await OidcClient.Demo().LoginAsync(browser);
        _time.Advance(TimeSpan.FromSeconds(2));
        var page = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: new() { ["max_age"] = "1" }));
        Assert.StartsWith("/registry/signin", page.Url, StringComparison.Ordinal);
        var fresh = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: new() { ["max_age"] = "3600" }));
        Assert.True(fresh.IsRedirect);
    }
}
