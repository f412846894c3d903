using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using MockIdentityProvider;

namespace IdentityHub.Tests.Federation;

/// <summary>Logging in through upstream identity sources (docs/integration.md, "Identity sources"), against the mock provider.</summary>
public sealed class FederationTests(FederationFixture fixture) : FederationTestsOn(fixture), IClassFixture<FederationFixture>;

/// <summary>The same on PostgreSQL.</summary>
public sealed class PostgresFederationTests(PostgresFederationFixture fixture) : FederationTestsOn(fixture), IClassFixture<PostgresFederationFixture>;

public abstract partial class FederationTestsOn(FederationFixture fixture)
{
    private string Hub => fixture.HubUrl;

    [Fact]
    public async Task Chooser_ListsTheRegistryAndEachEnabledSourceByName()
    {
        using var browser = new LiveBrowser();
        var page = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl());
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("/login/", page.Url, StringComparison.Ordinal);
        var names = Sources(page.Html).Select(s => s.Name).ToList();
        Assert.Contains("Mock Bank", names);
        Assert.Contains("Mock Low", names);
        Assert.Contains(names, n => n.Contains("dân cư", StringComparison.Ordinal)); // the registry
    }

    [Fact]
    public async Task SamePerson_ThroughRegistryAndThroughUpstream_GetsTheSameSubAtAService()
    {
        var client = OidcClient.Demo();
        var viaBank = await LoginThroughBankAsync(client, "an.nguyen");
        Assert.Equal("eidas2", viaBank.GetClaim("acr").Value);
        Assert.Equal("mock-bank", viaBank.GetClaim("idp_id").Value);
        Assert.Equal("An", viaBank.GetClaim("given_name").Value);

        var viaRegistry = await LoginThroughRegistryAsync(OidcClient.Demo(), "demo.citizen");
        Assert.Equal("registry", viaRegistry.GetClaim("idp_id").Value);
        Assert.Equal(viaRegistry.Subject, viaBank.Subject);
    }

    [Fact]
    public async Task SourceWithoutIdentityNumber_IsReconciledByThePivotIdentity()
    {
        var viaBank = await LoginThroughBankAsync(OidcClient.Demo(), "binh.tran.nonumber");
        var viaRegistry = await LoginThroughRegistryAsync(OidcClient.Demo(), "demo.director");
        Assert.Equal(viaRegistry.Subject, viaBank.Subject);
    }

    [Fact]
    public async Task FirstTimePerson_IsCreatedAndKeepsTheirSub()
    {
        var first = await LoginThroughBankAsync(OidcClient.Demo(), "chi.le");
        var second = await LoginThroughBankAsync(OidcClient.Demo(), "chi.le");
        Assert.Equal("Chi", first.GetClaim("given_name").Value);
        Assert.Equal(first.Subject, second.Subject);
    }

    [Fact]
    public async Task ClaimsOnlyInUserinfo_AreFetchedFromTheSourceUserinfo()
    {
        var token = await LoginThroughBankAsync(OidcClient.Demo(), "userinfo.only");
        Assert.Equal("Em", token.GetClaim("given_name").Value);
        Assert.Equal("Phan Văn", token.GetClaim("family_name").Value);
    }

    [Fact]
    public async Task IncompleteIdentity_ShowsAnErrorPageAndTheServiceGetsAccessDenied()
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        var error = await browser.SubmitAsync(bank, new() { ["person"] = "incomplete.person", ["decision"] = "signin" });
        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Contains("/error/incomplete_identity", error.Url, StringComparison.Ordinal);
        Assert.Contains("role=\"alert\"", error.Html, StringComparison.Ordinal);

        var back = BackToServiceLink(error.Html);
        var result = await browser.NavigateAsync(Hub + back, stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        var parameters = client.CallbackParameters(result);
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Contains("family_name", parameters["error_description"], StringComparison.Ordinal);
        Assert.Contains("birthdate", parameters["error_description"], StringComparison.Ordinal);
        Assert.Equal(client.State, parameters["state"]);
        Assert.DoesNotContain("code", parameters.Keys);
    }

    [Fact]
    public async Task CancelAtTheSource_SendsAccessDeniedBackToTheService()
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        var result = await browser.SubmitAsync(bank, new() { ["person"] = "an.nguyen", ["decision"] = "cancel" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        var parameters = client.CallbackParameters(result);
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Contains("cancelled", parameters["error_description"], StringComparison.Ordinal);
        Assert.Equal(client.State, parameters["state"]);
        Assert.Equal(Hub + "/", parameters["iss"]);
    }

    [Fact]
    public async Task IdpHint_SkipsTheChooser_AndAnUnknownHintShowsItWithANotice()
    {
        using var browser = new LiveBrowser();
        var direct = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        Assert.StartsWith(fixture.Bank.Url + "/authorize", direct.Url, StringComparison.Ordinal);

        var unknown = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = "no-such-source" }));
        Assert.Contains("/login/", unknown.Url, StringComparison.Ordinal);
        Assert.Contains("role=\"status\"", unknown.Html, StringComparison.Ordinal);
        Assert.NotEmpty(Sources(unknown.Html));
    }

    [Fact]
    public async Task AskingEidas2_OffersOnlySourcesThatReachIt_AndTheTokenCarriesTheLevelReached()
    {
        // mock-low (registered eidas1) cannot; the registry (with a second factor) and mock-bank can.
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var chooser = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas2" }));
        var offered = Sources(chooser.Html);
        Assert.Contains(offered, s => s.Name == "Mock Bank");
        Assert.Contains(offered, s => s.Url.StartsWith("/registry/signin", StringComparison.Ordinal));
        Assert.DoesNotContain(offered, s => s.Name == "Mock Low");
        var bank = await browser.NavigateAsync(Hub + offered.Single(s => s.Name == "Mock Bank").Url);
        Assert.StartsWith(fixture.Bank.Url + "/authorize", bank.Url, StringComparison.Ordinal);
        Assert.Equal("eidas2", (await fixture.Bank.LastAuthorizeAsync())["acr_values"]);
        var back = await browser.SubmitAsync(bank, new() { ["person"] = "an.nguyen", ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        var token = await RedeemAsync(client, client.CallbackParameters(back)["code"]);
        Assert.Equal("eidas2", token.GetClaim("acr").Value);
    }

    [Fact]
    public async Task SourceAssertingLessThanAsked_IsAccessDenied()
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas2", ["idp_hint"] = "mock-bank" }));
        var error = await browser.SubmitAsync(bank, new() { ["person"] = "low.assurance", ["decision"] = "signin" });
        Assert.Contains("/error/insufficient_assurance", error.Url, StringComparison.Ordinal);
        var result = await browser.NavigateAsync(Hub + BackToServiceLink(error.Html), stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        Assert.Equal("access_denied", client.CallbackParameters(result)["error"]);
    }

    [Fact]
    public async Task AssertedLevel_IsCappedAtTheSourcesRegisteredLevel()
    {
        // The mock asserts eidas2, but mock-low is registered for eidas1 only.
        var token = await LoginThroughBankAsync(OidcClient.Demo(), "an.nguyen", source: "mock-low");
        Assert.Equal("eidas1", token.GetClaim("acr").Value);
        Assert.Equal("mock-low", token.GetClaim("idp_id").Value);
    }

    [Fact]
    public async Task AskingALevelNoSourceReaches_IsAccessDeniedWithoutAnyPage()
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var result = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas3" }),
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        var parameters = client.CallbackParameters(result);
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Contains("eidas3", parameters["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptLoginAndMaxAge_AreSentToTheSource()
    {
        using var browser = new LiveBrowser();
        await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank", ["prompt"] = "login", ["max_age"] = "300" }));
        var sent = await fixture.Bank.LastAuthorizeAsync();
        Assert.Equal("login", sent["prompt"]);
        Assert.Equal("300", sent["max_age"]);
        Assert.Equal("S256", sent["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(sent["nonce"]));
        Assert.Equal(Hub + "/signin/mock-bank", sent["redirect_uri"]);
    }

    [Fact]
    public async Task ForgedCallback_IsRefusedAndOpensNoSession()
    {
        using var browser = new LiveBrowser();
        var page = await browser.NavigateAsync(Hub + "/signin/mock-bank?code=forged&state=forged&iss=" + Uri.EscapeDataString(fixture.Bank.Url));
        Assert.Contains("/error/invalid_callback", page.Url, StringComparison.Ordinal);
        var next = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl());
        Assert.Contains("/login/", next.Url, StringComparison.Ordinal); // still asked to log in
    }

    [Fact]
    public async Task ReplayedCallback_IsRefused()
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        var callback = await browser.SubmitAsync(bank, new() { ["person"] = "an.nguyen", ["decision"] = "signin" },
            stopAt: l => l.StartsWith(Hub + "/signin/", StringComparison.Ordinal));
        var callbackUrl = callback.Location!;
        var first = await browser.NavigateAsync(callbackUrl, stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        Assert.Contains("code", client.CallbackParameters(first).Keys);

        using var attacker = new LiveBrowser();
        var replayElsewhere = await attacker.NavigateAsync(callbackUrl);
        Assert.Contains("/error/invalid_callback", replayElsewhere.Url, StringComparison.Ordinal);
        var replaySame = await browser.NavigateAsync(callbackUrl, stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        Assert.Contains("/error/invalid_callback", replaySame.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourceThatIsDownOrSlow_GivesAReadableErrorWithinTheTimeout()
    {
        await using var slow = new MockBank(Hub, ["mock-slow"], new() { ["Mock:DelayMilliseconds"] = "30000" });
        var closedPort = Loopback.FreePort();
        // Registered at eidas1 so that they never count among the sources able to reach eidas2 in other tests.
        await fixture.RegisterSourceAsync("mock-slow", "Mock Slow", slow.Url, "eidas1");
        await fixture.RegisterSourceAsync("mock-down", "Mock Down", $"http://localhost:{closedPort}", "eidas1");

        foreach (var source in new[] { "mock-down", "mock-slow" })
        {
            using var browser = new LiveBrowser();
            var watch = Stopwatch.StartNew();
            var page = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = source }));
            watch.Stop();
            Assert.True(page.Url.Contains("/error/source_unavailable", StringComparison.Ordinal), $"{(int)page.Status} {page.Url} {page.Html[..Math.Min(1500, page.Html.Length)]}");
            Assert.Contains("source_unavailable", page.Html, StringComparison.Ordinal);
            Assert.Contains("/login/", page.Html, StringComparison.Ordinal); // a way to choose another source
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(12), $"{source} took {watch.Elapsed}"); // the 5 s timeout, well before the 30 s delay
        }
    }

    [Fact]
    public async Task SourceWithItsOwnClaimNames_IsReadThroughItsClaimMappings()
    {
        await using var custom = new MockBank(Hub, ["mock-custom"], new() { ["Mock:ClaimNames"] = "Custom" });
        await fixture.RegisterSourceAsync("mock-custom", "Mock Custom", custom.Url, "eidas1", new(ClaimNames.Custom));
        var viaCustom = await LoginThroughBankAsync(OidcClient.Demo(), "an.nguyen", source: "mock-custom", bankUrl: custom.Url);
        Assert.Equal("An", viaCustom.GetClaim("given_name").Value);
        Assert.Equal("1990-03-14", viaCustom.GetClaim("birthdate").Value);
        var viaRegistry = await LoginThroughRegistryAsync(OidcClient.Demo(), "demo.citizen");
        Assert.Equal(viaRegistry.Subject, viaCustom.Subject);
    }

    [Fact]
    public async Task DisablingASource_RemovesItFromTheChooserAtOnce()
    {
        await fixture.RegisterSourceAsync("mock-temp", "Mock Temporary", fixture.Bank.Url, "eidas1");
        using var browser = new LiveBrowser();
        var before = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl());
        Assert.Contains("Mock Temporary", Sources(before.Html).Select(s => s.Name));

        using var admin = await fixture.AdminAsync();
        using var disabled = await admin.PutAsync("/api/admin/v1/identity-sources/mock-temp", System.Net.Http.Json.JsonContent.Create(new
        {
            id = "mock-temp",
            displayName = "Mock Temporary",
            kind = "oidc",
            authority = fixture.Bank.Url,
            clientId = "identityhub",
            scopes = new[] { "openid" },
            acr = "eidas1",
            subjects = "individuals",
            enabled = false,
        }));
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        var after = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl());
        Assert.DoesNotContain("Mock Temporary", Sources(after.Html).Select(s => s.Name));
        var hinted = await browser.NavigateAsync(Hub + OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-temp" }));
        Assert.Contains("role=\"status\"", hinted.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourceDisabledWhileThePersonIsThere_EndsTheLoginWithSourceUnavailable()
    {
        using var browser = new LiveBrowser();
        var client = OidcClient.Demo();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-low" }));
        Assert.StartsWith(fixture.Bank.Url, bank.Url, StringComparison.Ordinal);
        try
        {
            await SetEnabledAsync("mock-low", "Mock Low", "eidas1", enabled: false);

            var error = await browser.SubmitAsync(bank, new() { ["person"] = "an.nguyen", ["decision"] = "signin" });
            Assert.Contains("/error/source_unavailable?journey=", error.Url, StringComparison.Ordinal);
            var result = await browser.NavigateAsync(Hub + BackToServiceLink(error.Html), stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
            var parameters = client.CallbackParameters(result);
            Assert.Equal("access_denied", parameters["error"]);
            Assert.Equal(client.State, parameters["state"]);
            Assert.DoesNotContain("code", parameters.Keys);
        }
        finally
        {
            await SetEnabledAsync("mock-low", "Mock Low", "eidas1", enabled: true);
        }
    }

    private async Task SetEnabledAsync(string id, string displayName, string acr, bool enabled)
    {
        using var admin = await fixture.AdminAsync();
        using var response = await admin.PutAsync($"/api/admin/v1/identity-sources/{id}", System.Net.Http.Json.JsonContent.Create(new
        {
            id,
            displayName,
            kind = "oidc",
            authority = fixture.Bank.Url,
            clientId = "identityhub",
            scopes = new[] { "openid", "profile", "email" },
            acr,
            subjects = "individuals",
            enabled,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonWebToken> LoginThroughBankAsync(OidcClient client, string person, string source = "mock-bank", string? bankUrl = null)
    {
        using var browser = new LiveBrowser();
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = source }));
        Assert.True(bank.Url.StartsWith(bankUrl ?? fixture.Bank.Url, StringComparison.Ordinal), $"Expected the mock's page, got {bank.Url}: {bank.Html[..Math.Min(500, bank.Html.Length)]}");
        var back = await browser.SubmitAsync(bank, new() { ["person"] = person, ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        return await RedeemAsync(client, client.CallbackParameters(back)["code"]);
    }

    private async Task<JsonWebToken> LoginThroughRegistryAsync(OidcClient client, string username)
    {
        using var browser = new LiveBrowser();
        var signIn = await browser.NavigateAsync(Hub + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "registry" }));
        Assert.Contains("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        return await RedeemAsync(client, client.CallbackParameters(back)["code"]);
    }

    private async Task<JsonWebToken> RedeemAsync(OidcClient client, string code)
    {
        using var http = fixture.Api();
        var tokens = await client.RedeemAsync(http, code);
        Assert.True(tokens.Status == HttpStatusCode.OK, tokens.Body.ToString());
        return tokens.IdTokenJwt;
    }

    private static List<(string Name, string Url)> Sources(string html) =>
        [.. SourceLink().Matches(html).Select(m => (WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["url"].Value)))];

    private static string BackToServiceLink(string html) =>
        WebUtility.HtmlDecode(BackLink().Match(html) is { Success: true } m ? m.Groups["url"].Value : throw new InvalidOperationException("No way back to the service on the page."));

    [GeneratedRegex("<a class=\"source\" href=\"(?<url>[^\"]+)\">(?<name>[^<]+)</a>")]
    private static partial Regex SourceLink();

    [GeneratedRegex("<a class=\"button\" href=\"(?<url>/connect/authorize[^\"]+)\"")]
    private static partial Regex BackLink();
}
