using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Protocol;
using IdentityHub.Sessions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;

namespace IdentityHub.Tests.Sessions;

/// <summary>OIDC Back-Channel Logout 1.0 from the hub (docs/integration.md, "Logout").</summary>
public sealed class BackchannelLogoutTests : IAsyncLifetime
{
    // Short intervals so that retries and abandonment happen within a test.
    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Hub:BackchannelLogout:PollInterval"] = "00:00:00.100",
        ["Hub:BackchannelLogout:Timeout"] = "00:00:01",
        ["Hub:BackchannelLogout:FirstRetry"] = "00:00:00.300",
        ["Hub:BackchannelLogout:MaxAttempts"] = "3",
    };

    private readonly LogoutListener _listener = new();

    public async Task InitializeAsync() => await _listener.StartAsync();

    public async Task DisposeAsync() => await _listener.StopAsync();

    [Fact]
    public async Task LogoutFromOneService_SendsTheOtherAValidLogoutToken_AndNotTheOneThatAsked()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, FastRetries);
        using var http = hub.CreateApiClient();
        var alpha = await RegisterAsync(hub, "alpha.example", _listener.Url + "/alpha");
        var beta = await RegisterAsync(hub, "beta.example", _listener.Url + "/beta");

        // One password entry: the second service is served from the hub session, under a subject of its own sector.
        using var browser = hub.CreateBrowser();
        var alphaTokens = await alpha.RedeemAsync(http, (await alpha.LoginAsync(browser, url: alpha.AuthorizeUrl("openid profile")))["code"]);
        var silent = await browser.NavigateAsync(beta.AuthorizeUrl("openid profile"));
        var betaTokens = await beta.RedeemAsync(http, beta.CallbackParameters(silent)["code"]);
        var betaId = betaTokens.IdTokenJwt;
        Assert.NotEqual(alphaTokens.IdTokenJwt.Subject, betaId.Subject);
        Assert.Equal(alphaTokens.IdTokenJwt.GetClaim("sid").Value, betaId.GetClaim("sid").Value);

        var logout = await browser.NavigateAsync("/connect/endsession?id_token_hint=" + alphaTokens.IdToken);
        Assert.StartsWith("/logout/done", logout.Url, StringComparison.Ordinal);

        var received = await _listener.NextAsync("/beta", TimeSpan.FromSeconds(15));
        var keys = new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks"));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(received.Token, new TokenValidationParameters
        {
            ValidIssuer = HubFactory.Issuer,
            ValidAudience = beta.ClientId,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidTypes = ["logout+jwt"],
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal("logout+jwt", token.Typ);
        Assert.Equal(betaId.Alg, token.Alg);
        Assert.Equal(betaId.GetClaim("sid").Value, token.GetClaim("sid").Value);
        Assert.Equal(betaId.Subject, token.Subject);
        Assert.False(token.TryGetClaim("nonce", out _));
        Assert.False(string.IsNullOrEmpty(token.Id));
        Assert.True(token.TryGetClaim("iat", out _));
        Assert.InRange(token.ValidTo - token.IssuedAt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        var events = token.GetPayloadValue<JsonElement>("events");
        Assert.Equal(JsonValueKind.Object, events.GetProperty("http://schemas.openid.net/event/backchannel-logout").ValueKind);

        // The service that asked for the logout is not called back.
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var rows = await db.BackchannelLogouts.AsNoTracking().ToListAsync();
        var row = Assert.Single(rows);
        Assert.Equal(beta.ClientId, row.ClientId);
        Assert.Empty(_listener.Received("/alpha"));
    }

    [Fact]
    public async Task NewLoginInTheSameBrowser_EndsTheSessionItReplaces_AndTellsThatSessionsServices()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, FastRetries);
        using var http = hub.CreateApiClient();
        var alpha = await RegisterAsync(hub, "alpha.example", _listener.Url + "/alpha");
        var beta = await RegisterAsync(hub, "beta.example", _listener.Url + "/beta");

        using var browser = hub.CreateBrowser();
        var first = (await alpha.RedeemAsync(http, (await alpha.LoginAsync(browser, url: alpha.AuthorizeUrl("openid profile")))["code"])).IdTokenJwt;
        // Another person logs in in the same browser: one browser, one session.
        var relogin = beta.AuthorizeUrl("openid profile", extra: new() { ["prompt"] = "login" });
        var second = (await beta.RedeemAsync(http, (await beta.LoginAsync(browser, "demo.director", url: relogin))["code"])).IdTokenJwt;
        Assert.NotEqual(first.GetClaim("sid").Value, second.GetClaim("sid").Value);

        var received = await _listener.NextAsync("/alpha", TimeSpan.FromSeconds(15));
        var token = new JsonWebToken(received.Token);
        Assert.Equal(first.GetClaim("sid").Value, token.GetClaim("sid").Value);
        Assert.Equal(first.Subject, token.Subject);
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        Assert.NotNull((await db.HubSessions.AsNoTracking().SingleAsync(s => s.Id == first.GetClaim("sid").Value)).EndedAt);
        // The new session's service has nothing to hear of.
        Assert.Equal(alpha.ClientId, Assert.Single(await db.BackchannelLogouts.AsNoTracking().ToListAsync()).ClientId);
        Assert.Empty(_listener.Received("/beta"));
    }

    [Fact]
    public async Task ConfirmedLogoutWithoutHintOrClientId_TellsEveryServiceOfTheSession()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, FastRetries);
        using var http = hub.CreateApiClient();
        var alpha = await RegisterAsync(hub, "alpha.example", _listener.Url + "/alpha");
        var beta = await RegisterAsync(hub, "beta.example", _listener.Url + "/beta");

        using var browser = hub.CreateBrowser();
        var alphaId = (await alpha.RedeemAsync(http, (await alpha.LoginAsync(browser, url: alpha.AuthorizeUrl("openid profile")))["code"])).IdTokenJwt;
        var silent = await browser.NavigateAsync(beta.AuthorizeUrl("openid profile"));
        var betaId = (await beta.RedeemAsync(http, beta.CallbackParameters(silent)["code"])).IdTokenJwt;

        // No service vouches for this logout: the person confirms it on the hub's page, and no service is left out.
        var confirm = await browser.NavigateAsync("/connect/endsession");
        Assert.Equal(HttpStatusCode.OK, confirm.Status);
        Assert.StartsWith("/logout", confirm.Url, StringComparison.Ordinal);
        var done = await browser.SubmitAsync(confirm, []);
        Assert.StartsWith("/logout/done", done.Url, StringComparison.Ordinal);

        var toAlpha = new JsonWebToken((await _listener.NextAsync("/alpha", TimeSpan.FromSeconds(15))).Token);
        var toBeta = new JsonWebToken((await _listener.NextAsync("/beta", TimeSpan.FromSeconds(15))).Token);
        Assert.Equal(alphaId.GetClaim("sid").Value, toAlpha.GetClaim("sid").Value);
        Assert.Equal(alphaId.Subject, toAlpha.Subject);
        Assert.Equal(betaId.GetClaim("sid").Value, toBeta.GetClaim("sid").Value);
        Assert.Equal(betaId.Subject, toBeta.Subject);
    }

    [Fact]
    public async Task SampleService_LoggedOutElsewhere_IsLoggedOutByBackchannel_AndAsksForALoginAgain()
    {
        var hubUrl = $"http://localhost:{Loopback.FreePort()}";
        await using var hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite),
            new(FastRetries) { ["Hub:Issuer"] = hubUrl + "/", ["urls"] = hubUrl });
        hub.UseKestrel();
        hub.StartServer();
        await using var first = await SampleServiceFactory.StartAsync(hub, hubUrl, "sample-first");
        await using var second = await SampleServiceFactory.StartAsync(hub, hubUrl, "sample-second", host: "127.0.0.1");
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var row = await db.RelyingParties.SingleAsync(r => r.ClientId == "sample-second");
            row.BackchannelLogoutUri = new Uri(second.Url + "/backchannel-logout");
            await db.SaveChangesAsync();
        }

        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true });
        using var signIn = await browser.GetAsync(first.Url + "/login?lang=en");
        var fields = (await Browser.Page.ReadAsync(signIn)).HiddenFields();
        fields["Input.Username"] = "demo.citizen";
        fields["Input.Password"] = "Demo-Passw0rd!";
        using var firstConsent = await browser.PostAsync(signIn.RequestMessage!.RequestUri, new FormUrlEncodedContent(fields));
        using var firstProfile = await Browser.AgreeAsync(browser, firstConsent);
        Assert.Equal(first.Url + "/profile", firstProfile.RequestMessage!.RequestUri!.AbsoluteUri);
        // Single sign-on: the second service is logged in without a password (the person agrees to it first).
        using var secondConsent = await browser.GetAsync(second.Url + "/login?lang=en");
        using var secondLogin = await Browser.AgreeAsync(browser, secondConsent);
        Assert.Equal(second.Url + "/profile", secondLogin.RequestMessage!.RequestUri!.AbsoluteUri);

        // Log out at the first service: its logout form, then the hub's end-session endpoint, then back.
        var profilePage = await Browser.Page.ReadAsync(firstProfile);
        using var loggedOut = await browser.PostAsync(first.Url + "/logout", new FormUrlEncodedContent(profilePage.HiddenFields()));
        Assert.Equal(HttpStatusCode.OK, loggedOut.StatusCode);
        Assert.Equal(first.Url + "/", loggedOut.RequestMessage!.RequestUri!.AbsoluteUri);

        // The second service has been told: its next page asks for a login, which the hub asks with a password.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string? landed;
        do
        {
            await Task.Delay(200);
            using var next = await browser.GetAsync(second.Url + "/profile");
            landed = next.RequestMessage!.RequestUri!.AbsoluteUri;
        }
        while (landed.StartsWith(second.Url, StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.StartsWith(hubUrl + "/registry/signin", landed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadAndSlowServices_DoNotDelayLogout_AndAreRetriedWithBackoffUntilAbandoned()
    {
        // A first retry of a second, so that the back-off's growth (1 s, then 3 s) stands well above the delays a
        // loaded machine adds to any one call.
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new(FastRetries) { ["Hub:BackchannelLogout:FirstRetry"] = "00:00:01" });
        using var http = hub.CreateApiClient();
        var asking = await RegisterAsync(hub, "asking.example", null);
        var dead = await RegisterAsync(hub, "dead.example", $"http://127.0.0.1:{Loopback.FreePort()}/closed");
        var slow = await RegisterAsync(hub, "slow.example", _listener.Url + "/slow");

        using var browser = hub.CreateBrowser();
        var tokens = await asking.RedeemAsync(http, (await asking.LoginAsync(browser, url: asking.AuthorizeUrl("openid profile")))["code"]);
        foreach (var other in new[] { dead, slow })
        {
            other.CallbackParameters(await browser.NavigateAsync(other.AuthorizeUrl("openid profile")));
        }

        var clock = Stopwatch.StartNew();
        var logout = await browser.NavigateAsync("/connect/endsession?id_token_hint=" + tokens.IdToken);
        clock.Stop();
        Assert.StartsWith("/logout/done", logout.Url, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"Logout took {clock.Elapsed}.");

        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<BackchannelLogout> rows;
        do
        {
            await Task.Delay(200);
            rows = await db.BackchannelLogouts.AsNoTracking().ToListAsync();
        }
        while (rows.Any(r => r.AbandonedAt is null) && DateTime.UtcNow < deadline);

        Assert.Equal(2, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.NotNull(r.AbandonedAt);
            Assert.Null(r.DeliveredAt);
            Assert.Equal(3, r.Attempts);
        });

        // Three calls to the slow service, each cut at the 1 s timeout, then waiting longer: 1 s, then 3 s (with a
        // little slack: the listener stamps a call when it arrives, the hub times it from when it starts).
        var calls = _listener.Received("/slow").Select(r => r.At).Order().ToList();
        Assert.Equal(3, calls.Count);
        var firstGap = calls[1] - calls[0];
        var secondGap = calls[2] - calls[1];
        Assert.True(firstGap >= TimeSpan.FromSeconds(1.8), $"first retry after {firstGap}");
        Assert.True(secondGap >= TimeSpan.FromSeconds(3.8), $"second retry after {secondGap}");
        Assert.True(secondGap - firstGap >= TimeSpan.FromSeconds(1.2), $"{firstGap} then {secondGap}");
    }

    [Theory]
    [InlineData(HubDatabase.Postgres)]
    [InlineData(HubDatabase.Sqlite)]
    public async Task TwoInstancesOnOneDatabase_DeliverEachTokenOnce(HubDatabase database)
    {
        var connection = await HubFactory.NewDatabaseAsync(database);
        // What is tested is the claim, not the retry: a send slowed by a loaded machine must not time out and be sent again.
        var settings = new Dictionary<string, string?>(FastRetries) { ["Hub:BackchannelLogout:Timeout"] = "00:00:10" };
        await using var first = new HubFactory(database, connection, settings);
        await using var second = new HubFactory(database, connection, settings);
        _ = first.Services;
        _ = second.Services;

        await using (var scope = first.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < 40; i++)
            {
                db.BackchannelLogouts.Add(new BackchannelLogout
                {
                    Id = Guid.NewGuid(),
                    ClientId = "shared-service",
                    Uri = _listener.Url + "/shared",
                    SessionId = "session-" + i,
                    Subject = "subject-" + i,
                    CreatedAt = now,
                    NextAttemptAt = now,
                });
            }
            await db.SaveChangesAsync();
        }

        // Both instances' senders run now; drive them too, at once, so that they race for the same rows.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Sender(i % 2 == 0 ? first : second).RunOnceAsync(CancellationToken.None)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (_listener.Received("/shared").Count < 40 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        await Task.Delay(1000);

        var sessions = _listener.Received("/shared").Select(r => new JsonWebToken(r.Token).GetClaim("sid").Value).ToList();
        Assert.Equal(40, sessions.Count);
        Assert.Equal(40, sessions.Distinct().Count());
        await using var check = first.Services.CreateAsyncScope();
        var rows = await check.ServiceProvider.GetRequiredService<HubDbContext>().BackchannelLogouts.AsNoTracking().ToListAsync();
        Assert.All(rows, r => Assert.Equal(1, r.Attempts));
        Assert.All(rows, r => Assert.NotNull(r.DeliveredAt));
    }

    private static BackchannelLogoutSender Sender(HubFactory hub) =>
        hub.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<BackchannelLogoutSender>().Single();

    /// <summary>A confidential service of its own sector, named <paramref name="name"/>, with the given back-channel logout address.</summary>
    private static Task<OidcClient> RegisterAsync(HubFactory hub, string name, string? backchannelUri) =>
        IdentityHub.Tests.Account.AccountClients.RegisterAsync(hub, name, backchannelUri);

    /// <summary>A service's back-channel endpoint on loopback: records each call; <c>/slow</c> answers after 30 s.</summary>
    private sealed class LogoutListener
    {
        private readonly ConcurrentQueue<(string Path, string Token, DateTimeOffset At)> _received = new();
        private WebApplication? _app;

        public string Url { get; } = $"http://127.0.0.1:{Loopback.FreePort()}";

        public async Task StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(Url);
            _app = builder.Build();
            _app.MapPost("/{name}", async (string name, HttpRequest request, CancellationToken cancellationToken) =>
            {
                var form = await request.ReadFormAsync(cancellationToken);
                _received.Enqueue(("/" + name, form["logout_token"].ToString(), DateTimeOffset.UtcNow));
                if (name == "slow")
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
                }
                return Results.Ok();
            });
            await _app.StartAsync();
        }

        public List<(string Token, DateTimeOffset At)> Received(string path) =>
            [.. _received.Where(r => r.Path == path).Select(r => (r.Token, r.At))];

        public async Task<(string Token, DateTimeOffset At)> NextAsync(string path, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (Received(path) is [var first, ..])
                {
                    return first;
                }
                await Task.Delay(50);
            }
            throw new TimeoutException($"Nothing was posted to {path}.");
        }

        public async Task StopAsync()
        {
            if (_app is not null)
            {
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await _app.StopAsync(patience.Token);
                await _app.DisposeAsync();
            }
        }
    }
}
