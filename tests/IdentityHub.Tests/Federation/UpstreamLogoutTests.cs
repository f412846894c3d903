using System.Net;
using IdentityHub.Data;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdentityHub.Tests.Federation;

/// <summary>Logout after a login through an upstream source: the source's session ends too (docs/integration.md, "Logout").</summary>
public abstract partial class FederationTestsOn
{
    [Fact]
    public async Task LogoutAfterAFederatedLogin_GoesThroughTheSourcesEndSession_AndBackToTheServiceWithItsState()
    {
        var client = await fixture.RegisterServiceAsync("upstream-logout");
        using var browser = new LiveBrowser();
        var idToken = await LoginThroughBankInAsync(browser, client, "an.nguyen");

        var atSource = await browser.NavigateAsync(LogoutUrl(idToken, "upstream-logout", "bye now"), stopAt: AtBankEndSession);
        Assert.True(atSource.IsRedirect && AtBankEndSession(atSource.Location!), $"{(int)atSource.Status} {atSource.Url} → {atSource.Location}");
        var sent = QueryHelpers.ParseQuery(new Uri(atSource.Location!).Query);
        Assert.Equal(Hub + "/signout/mock-bank", sent["post_logout_redirect_uri"].ToString());
        Assert.False(string.IsNullOrEmpty(sent["state"]));
        // The ID token the source issued to the hub at login, not the hub's own.
        var hint = new JsonWebToken(sent["id_token_hint"].ToString());
        Assert.Equal(fixture.Bank.Url, hint.Issuer);
        Assert.Equal("mockbank-0001", hint.Subject);
        Assert.Contains("identityhub", hint.Audiences);

        var back = await browser.NavigateAsync(atSource.Location!, stopAt: l => l.StartsWith(FederationFixture.PostLogoutUri("upstream-logout"), StringComparison.Ordinal));
        Assert.True(back.IsRedirect, $"{(int)back.Status} {back.Url}: {back.Html[..Math.Min(500, back.Html.Length)]}");
        Assert.StartsWith(Hub + "/signout/mock-bank?", back.Url, StringComparison.Ordinal);
        Assert.Equal(FederationFixture.PostLogoutUri("upstream-logout") + "?state=bye%20now", back.Location);
        Assert.Contains(await fixture.Bank.LogoutsAsync(), l => l.Subject == "mockbank-0001" && l.State == sent["state"].ToString()
            && l.PostLogoutRedirectUri == Hub + "/signout/mock-bank");

        // Without a post_logout_redirect_uri, the way back from the source ends on the hub's page.
        var again = await LoginThroughBankInAsync(browser, client, "an.nguyen");
        var done = await browser.NavigateAsync(Hub + "/connect/endsession?id_token_hint=" + again);
        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.StartsWith(Hub + "/logout/done", done.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogoutAfterAFederatedLogin_EndsTheHubSessionAndQueuesBackchannelLogouts_BeforeTheBrowserLeavesForTheSource()
    {
        var asking = await fixture.RegisterServiceAsync("upstream-asking");
        var other = await fixture.RegisterServiceAsync("upstream-other", $"http://127.0.0.1:{Loopback.FreePort()}/backchannel");
        using var browser = new LiveBrowser();
        var idToken = await LoginThroughBankInAsync(browser, asking, "an.nguyen");
        var silent = await browser.NavigateAsync(Hub + other.AuthorizeUrl("openid profile"), stopAt: l => l.StartsWith(other.RedirectUri, StringComparison.Ordinal));
        Assert.Contains("code", other.CallbackParameters(silent).Keys);
        var sid = new JsonWebToken(idToken).GetClaim("sid").Value;

        // The person is sent to the source and never comes back.
        var atSource = await browser.NavigateAsync(LogoutUrl(idToken, "upstream-asking", "x"), stopAt: AtBankEndSession);
        Assert.True(AtBankEndSession(atSource.Location ?? ""), atSource.Url);

        var nextLogin = await browser.NavigateAsync(Hub + asking.AuthorizeUrl("openid profile", extra: new() { ["prompt"] = "none" }),
            stopAt: l => l.StartsWith(asking.RedirectUri, StringComparison.Ordinal));
        Assert.Equal("login_required", asking.CallbackParameters(nextLogin)["error"]);
        await using var scope = fixture.Hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var session = await db.HubSessions.AsNoTracking().SingleAsync(s => s.Id == sid);
        Assert.NotNull(session.EndedAt);
        // Handed to the source's logout once, then gone from the row.
        Assert.Null(session.ProtectedUpstreamIdToken);
        var queued = await db.BackchannelLogouts.AsNoTracking().Where(b => b.SessionId == sid).ToListAsync();
        Assert.Equal(other.ClientId, Assert.Single(queued).ClientId);
    }

    [Fact]
    public async Task LogoutAfterLoginAtASourceWithoutEndSession_RedirectsStraightToTheService()
    {
        await using var plain = new MockBank(Hub, ["mock-plain"], new() { ["Mock:EndSession"] = "false" });
        // Registered at eidas1 so that it never counts among the sources able to reach eidas2 in other tests.
        await fixture.RegisterSourceAsync("mock-plain", "Mock Plain", plain.Url, "eidas1");
        var client = await fixture.RegisterServiceAsync("plain-logout");
        using var browser = new LiveBrowser();
        var idToken = await LoginThroughBankInAsync(browser, client, "an.nguyen", "mock-plain", plain.Url);

        await using (var scope = fixture.Hub.Services.CreateAsyncScope())
        {
            var sid = new JsonWebToken(idToken).GetClaim("sid").Value;
            var session = await scope.ServiceProvider.GetRequiredService<HubDbContext>().HubSessions.AsNoTracking().SingleAsync(s => s.Id == sid);
            Assert.Null(session.ProtectedUpstreamIdToken); // nothing kept that no logout will use
        }
        var logout = await browser.GetAsync(LogoutUrl(idToken, "plain-logout", "bye"));
        Assert.True(logout.IsRedirect, $"{(int)logout.Status} {logout.Html[..Math.Min(500, logout.Html.Length)]}");
        Assert.Equal(FederationFixture.PostLogoutUri("plain-logout") + "?state=bye", logout.Location);
        Assert.Empty(await plain.LogoutsAsync());
    }

    [Fact]
    public async Task ForgedOrReplayedLogoutSteps_GetAnErrorPage_NeverARedirect()
    {
        using var stranger = new LiveBrowser();
        foreach (var forged in new[] { "/signout/mock-bank?state=forged", "/signout/mock-bank", "/federation/mock-bank/logout?ticket=forged", "/federation/mock-bank/logout" })
        {
            var page = await stranger.NavigateAsync(Hub + forged);
            Assert.Equal(HttpStatusCode.BadRequest, page.Status);
            Assert.Contains("/error/", page.Url, StringComparison.Ordinal);
            Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
        }

        var client = await fixture.RegisterServiceAsync("replayed-logout");
        using var browser = new LiveBrowser();
        var idToken = await LoginThroughBankInAsync(browser, client, "an.nguyen");
        var toTicket = await browser.GetAsync(LogoutUrl(idToken, "replayed-logout", "s"));
        var ticketUrl = toTicket.Location!;
        Assert.StartsWith(Hub + "/federation/mock-bank/logout?ticket=", ticketUrl, StringComparison.Ordinal);
        // A ticket is for the source that opened the session only, and for the browser it was given to.
        var elsewhere = await browser.NavigateAsync(ticketUrl.Replace("/federation/mock-bank/", "/federation/mock-low/", StringComparison.Ordinal));
        Assert.Contains("/error/invalid_request", elsewhere.Url, StringComparison.Ordinal);
        var stolen = await stranger.NavigateAsync(ticketUrl, stopAt: AtBankEndSession);
        Assert.Equal(HttpStatusCode.BadRequest, stolen.Status);
        Assert.Contains("/error/invalid_request", stolen.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("id_token_hint", stolen.Html, StringComparison.Ordinal);

        var atSource = await browser.NavigateAsync(ticketUrl, stopAt: AtBankEndSession);
        var callback = await browser.NavigateAsync(atSource.Location!, stopAt: l => l.StartsWith(Hub + "/signout/", StringComparison.Ordinal));
        var callbackUrl = callback.Location!;
        var first = await browser.NavigateAsync(callbackUrl, stopAt: l => l.StartsWith(FederationFixture.PostLogoutUri("replayed-logout"), StringComparison.Ordinal));
        Assert.Equal(FederationFixture.PostLogoutUri("replayed-logout") + "?state=s", first.Location);

        // The source's answer is used once, by the browser it was meant for.
        foreach (var replaying in new[] { browser, stranger })
        {
            var replay = await replaying.NavigateAsync(callbackUrl, stopAt: l => l.StartsWith(FederationFixture.PostLogoutUri("replayed-logout"), StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.BadRequest, replay.Status);
            Assert.Contains("/error/invalid_callback", replay.Url, StringComparison.Ordinal);
        }
        // The ticket again (a reload) sends the browser on, and not to the source a second time.
        var reload = await browser.GetAsync(ticketUrl);
        Assert.Equal(FederationFixture.PostLogoutUri("replayed-logout") + "?state=s", reload.Location);
    }

    private string LogoutUrl(string idToken, string service, string state) => Hub + QueryHelpers.AddQueryString("/connect/endsession", new Dictionary<string, string?>
    {
        ["id_token_hint"] = idToken,
        ["post_logout_redirect_uri"] = FederationFixture.PostLogoutUri(service),
        ["state"] = state,
    });

    private bool AtBankEndSession(string location) => location.StartsWith(fixture.Bank.Url + "/endsession?", StringComparison.Ordinal);

    /// <summary>Logs <paramref name="person"/> in to <paramref name="client"/> through the source, in <paramref name="browser"/>; returns the hub's ID token.</summary>
    private async Task<string> LoginThroughBankInAsync(LiveBrowser browser, OidcClient client, string person, string source = "mock-bank", string? bankUrl = null)
    {
        var bank = await browser.NavigateAsync(Hub + client.AuthorizeUrl("openid profile", extra: new() { ["idp_hint"] = source }));
        Assert.True(bank.Url.StartsWith(bankUrl ?? fixture.Bank.Url, StringComparison.Ordinal), $"Expected the mock's page, got {bank.Url}: {bank.Html[..Math.Min(500, bank.Html.Length)]}");
        var back = await browser.SubmitAsync(bank, new() { ["person"] = person, ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        using var http = fixture.Api();
        var tokens = await client.RedeemAsync(http, client.CallbackParameters(back)["code"]);
        Assert.True(tokens.Status == HttpStatusCode.OK, tokens.Body.ToString());
        return tokens.IdToken;
    }
}
