using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using IdentityHub.Data;
using IdentityHub.Errors;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Login;

/// <summary>
/// The login journey lets each step act only in its turn: a step's page bookmarked, replayed or opened out of order
/// gets the error page, never a skipped step; the error page names the error and the request and leads back.
/// </summary>
public abstract partial class JourneyStepTests(HubFactory hub)
{
    [Fact]
    public async Task SignInPage_AfterTheLoginEnded_IsStepOutOfOrder()
    {
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var form = signIn.HiddenFields();
        var callback = OidcClient.Demo().CallbackParameters(await browser.SubmitAsync(signIn, Credentials()));
        Assert.True(callback.ContainsKey("code"));

        // The bookmarked page: the journey is past that step.
        var bookmarked = await browser.GetAsync(signIn.Url);
        Assert.StartsWith("/error/step_out_of_order", bookmarked.Location, StringComparison.Ordinal);
        // The same form posted again is refused before it reaches the step: its CSRF token was for nobody signed in.
        using var replay = await browser.Client.PostAsync(signIn.Url, new FormUrlEncodedContent(new Dictionary<string, string>(form) { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" }));
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);

        // Nor does the chooser of that journey open again.
        var chooser = await browser.GetAsync($"/login/{JourneyOf(signIn.Url)}");
        Assert.StartsWith("/error/step_out_of_order", chooser.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInForm_PostedTwiceAtOnce_LogsInOnceAndBothLeadToTheService()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl());
        var journey = JourneyOf(signIn.Url);
        var form = new Dictionary<string, string>(signIn.HiddenFields()) { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" };
        var start = DateTimeOffset.UtcNow;

        var posts = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            using var response = await browser.Client.PostAsync(signIn.Url, new FormUrlEncodedContent(form));
            return response.Headers.Location!.OriginalString;
        }));

        // A double click: the browser follows whichever answer comes last, and either one finishes the login.
        Assert.All(posts, location => Assert.StartsWith("/connect/authorize", location, StringComparison.Ordinal));
        Assert.Single(posts.Distinct());
        Assert.True(client.CallbackParameters(await browser.GetAsync(posts[1])).ContainsKey("code"));

        // One session was made for it: the request that lost the journey left none behind.
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var sessionId = await db.LoginJourneys.Where(j => j.Id == journey).Select(j => j.SessionId).SingleAsync();
        var person = await db.HubSessions.Where(s => s.Id == sessionId).Select(s => s.PersonId).SingleAsync();
        var created = await db.HubSessions.Where(s => s.PersonId == person).Select(s => s.CreatedAt).ToListAsync();
        Assert.Single(created, c => c > start);
    }

    [Fact]
    public async Task ResumeLink_InAnotherBrowser_IsWorthNothing()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl());
        using var posted = await browser.Client.PostAsync(signIn.Url, new FormUrlEncodedContent(new Dictionary<string, string>(signIn.HiddenFields())
        {
            ["Input.Username"] = "demo.citizen",
            ["Input.Password"] = "Demo-Passw0rd!",
        }));
        var resume = posted.Headers.Location!.OriginalString;
        Assert.Contains("hub_journey=", resume, StringComparison.Ordinal);

        // Taken to another browser, the link finds no journey of that browser: a new journey begins there.
        using var other = hub.CreateBrowser();
        var elsewhere = await other.GetAsync(resume);
        Assert.StartsWith("/registry/signin", elsewhere.Location, StringComparison.Ordinal);
        Assert.NotEqual(JourneyOf(signIn.Url), JourneyOf(elsewhere.Location!));
        // In the browser it belongs to, it still gives the service its code.
        Assert.True(client.CallbackParameters(await browser.GetAsync(resume)).ContainsKey("code"));
    }

    [Fact]
    public async Task SameServiceTwiceInOneSession_IsOneParticipant_WithBothLoginsInTheHistory()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var before = await HistoryAsync();
        var first = await client.RedeemAsync(http, client.CallbackParameters(await browser.SubmitAsync(await browser.NavigateAsync(client.AuthorizeUrl()), Credentials()))["code"]);
        // Single sign-on at the same service: a second code from the same session, under the same subject.
        var second = await client.RedeemAsync(http, client.CallbackParameters(await browser.NavigateAsync(client.AuthorizeUrl()))["code"]);
        var sid = first.IdTokenJwt.GetClaim("sid").Value;
        Assert.Equal(sid, second.IdTokenJwt.GetClaim("sid").Value);
        Assert.Equal(first.IdTokenJwt.Subject, second.IdTokenJwt.Subject);

        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        // Logout tells the service once, by the subject it knows; the person's history shows both logins.
        var participant = Assert.Single(await db.SessionParticipants.AsNoTracking().Where(p => p.SessionId == sid).ToListAsync());
        Assert.Equal((client.ClientId, first.IdTokenJwt.Subject), (participant.ClientId, participant.Subject));
        var person = await db.HubSessions.Where(s => s.Id == sid).Select(s => s.PersonId).SingleAsync();
        var history = (await HistoryAsync()).ExceptBy(before.Select(c => c.Id), c => c.Id).ToList();
        Assert.Equal(2, history.Count);
        Assert.All(history, c => Assert.Equal(person, c.PersonId));
        Assert.All(history, c => Assert.Contains("given_name", c.Claims.Split(' ')));
        // The subject is recorded once, and maps back to the person.
        var recorded = Assert.Single(await db.SubjectIdentifiers.AsNoTracking().Where(s => s.Subject == first.IdTokenJwt.Subject).ToListAsync());
        Assert.Equal(person, recorded.PersonId);

        async Task<List<IdentityHub.Sessions.ConnectionRecord>> HistoryAsync()
        {
            await using var scope = hub.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<HubDbContext>().ConnectionHistory.AsNoTracking()
                .Where(c => c.ClientId == client.ClientId).ToListAsync();
        }
    }

    [Fact]
    public async Task UnknownJourney_IsJourneyExpiredWithTheCodeAndTheTraceId()
    {
        using var browser = hub.CreateBrowser();
        var page = await browser.NavigateAsync("/login/no-such-journey");
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Equal("/error/journey_expired", page.Url);
        Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
        Assert.Matches("id=\"error-code\">journey_expired<", page.Html);
        Assert.Matches("id=\"trace-id\">[^<]+<", page.Html);
        Assert.Contains("Phiên đăng nhập này đã hết hạn", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chooser_Cancel_SendsAccessDeniedBackToTheService()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        // A hint naming no source leads to the chooser, with its notice.
        var chooser = await browser.NavigateAsync(client.AuthorizeUrl(extra: new() { ["idp_hint"] = "no-such-source" }));
        Assert.StartsWith("/login/", chooser.Url, StringComparison.Ordinal);
        Assert.Contains("role=\"status\"", chooser.Html, StringComparison.Ordinal);

        var back = await browser.SubmitAsync(chooser, []);
        var parameters = client.CallbackParameters(back);
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Equal(client.State, parameters["state"]);
        Assert.Equal(HubFactory.Issuer, parameters["iss"]);
        Assert.DoesNotContain("code", parameters.Keys);

        // The journey is over: its chooser is a step out of order now.
        Assert.StartsWith("/error/step_out_of_order", (await browser.GetAsync(chooser.Url)).Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chooser_CancelWithoutTheAntiforgeryToken_IsRefused()
    {
        using var browser = hub.CreateBrowser();
        var chooser = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: new() { ["idp_hint"] = "no-such-source" }));
        using var forged = await browser.Client.PostAsync(chooser.Url + "?handler=Cancel", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(chooser.Url)).Status);
    }

    [Fact]
    public async Task RegistryPage_ForAJourneyTheRegistryCannotServe_SendsToTheChooser()
    {
        // A journey that asks for more than the registry reaches is offered an upstream source only.
        using var admin = await hub.CreateAdminClientAsync();
        var sourceId = "strong-" + Guid.NewGuid().ToString("N")[..8];
        using (var created = await admin.PostAsJsonAsync("/api/admin/v1/identity-sources", new
        {
            id = sourceId,
            displayName = "Strong source",
            kind = "oidc",
            authority = "https://strong.example.vn/",
            clientId = "hub",
            clientSecret = "upstream-secret-0123456789",
            acr = "eidas3",
            subjects = "individuals",
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        try
        {
            using var browser = hub.CreateBrowser();
            var client = OidcClient.Demo();
            var first = await browser.GetAsync(client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas3" }));
            Assert.StartsWith($"/federation/{sourceId}", first.Location, StringComparison.Ordinal);

            var registry = await browser.GetAsync($"/registry/signin?journey={JourneyOf(first.Location!)}");
            Assert.StartsWith($"/login/{JourneyOf(first.Location!)}?notice=unknown_source", registry.Location, StringComparison.Ordinal);
        }
        finally
        {
            using var deleted = await admin.DeleteAsync($"/api/admin/v1/identity-sources/{sourceId}");
        }
    }

    [Fact]
    public async Task FailedJourney_ErrorPageLeadsBackToTheServiceWithTheError()
    {
        // A journey ended by the hand-off (here forced in the database, as a source's refusal would) waits for the
        // browser to take the error back.
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl());
        var journey = JourneyOf(signIn.Url);
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            await db.LoginJourneys.Where(j => j.Id == journey).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Step, IdentityHub.Login.LoginStep.Resume)
                .SetProperty(j => j.Error, HubErrors.IdentityConflict.Code)
                .SetProperty(j => j.ErrorDescription, "The records differ."));
        }

        var page = await browser.NavigateAsync($"/error/{HubErrors.IdentityConflict.Code}?journey={journey}");
        Assert.Matches("id=\"error-code\">identity_conflict<", page.Html);
        var back = BackLink().Match(page.Html);
        Assert.True(back.Success, "The error page has no way back to the service.");
        var parameters = client.CallbackParameters(await browser.GetAsync(System.Net.WebUtility.HtmlDecode(back.Groups["href"].Value)));
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Equal("The records differ.", parameters["error_description"]);
        Assert.Equal(client.State, parameters["state"]);
    }

    private static Dictionary<string, string> Credentials() => new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" };

    private static string JourneyOf(string url) =>
        url.StartsWith("/login/", StringComparison.Ordinal)
            ? url["/login/".Length..].Split('?')[0]
            : QueryHelpers.ParseQuery(new Uri("http://hub" + url).Query)["journey"].ToString();

    [GeneratedRegex("<a class=\"button\" href=\"(?<href>/connect/authorize[^\"]+)\"")]
    private static partial Regex BackLink();
}

public sealed class SqliteJourneyStepTests(SqliteHub hub) : JourneyStepTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresJourneyStepTests(PostgresHub hub) : JourneyStepTests(hub), IClassFixture<PostgresHub>;
