using System.Net;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Login;
using IdentityHub.Registry;
using IdentityHub.Sessions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Account;

/// <summary>
/// /account (docs/integration.md, "Levels of assurance"): a login to a service is in the connection history with what
/// it released, the person ends their sessions (and only theirs), and downloads what the hub holds about them. On both
/// databases: the history's pages and the session's ending rest on their SQL.
/// </summary>
public abstract class DashboardTests(HubFactory hub)
{
    [Fact]
    public async Task UnsignedVisitor_IsSentToLogInAtEidas1_AndComesBackToTheDashboard()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        using var browser = hub.CreateBrowser();

        var first = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, first.Status);
        Assert.StartsWith("/registry/signin?journey=", first.Location, StringComparison.Ordinal);
        var journeyId = WebUtility.UrlDecode(first.Location!["/registry/signin?journey=".Length..]);
        var journey = Assert.Single(await AccountClients.RowsAsync(hub, db => db.LoginJourneys.AsNoTracking().Where(j => j.Id == journeyId)));
        Assert.Equal("eidas1", journey.AskedAcr);
        Assert.Equal("/account", journey.ReturnPath);
        Assert.Equal(LoginJourney.HubPagesClientId, journey.ClientId);

        var signIn = await browser.NavigateAsync(first.Location!);
        var dashboard = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = person.Username, ["Input.Password"] = RegistryPeople.Password });
        Assert.Equal(HttpStatusCode.OK, dashboard.Status);
        Assert.Equal("/account", dashboard.Url);
    }

    [Fact]
    public async Task LoginToAService_IsInTheHistory_WithTheClaimsReleasedInPlainWords()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        var service = await AccountClients.RegisterAsync(hub, "Land registry (test)");
        using var http = hub.CreateApiClient();
        using var browser = hub.CreateBrowser();
        browser.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");

        // profile in the ID token, and birthplace asked for userinfo alone (the service is allowed birth).
        var url = service.AuthorizeUrl("openid profile", new() { ["claims"] = """{"userinfo":{"birthplace":null}}""" });
        var tokens = await service.RedeemAsync(http, (await service.LoginAsync(browser, person.Username, RegistryPeople.Password, url))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);

        var row = Assert.Single(await AccountClients.HistoryAsync(hub, personId));
        Assert.Equal(service.ClientId, row.ClientId);
        Assert.Equal("registry", row.SourceId);
        Assert.Equal("eidas1", row.Acr);
        Assert.Null(row.EnterpriseId);
        Assert.Equal(["birthdate", "birthplace", "family_name", "gender", "given_name"], row.Claims.Split(' ').Order(StringComparer.Ordinal));
        // What the ID token carried is in the row (sub, acr and the like are the hub's own, not the person's).
        foreach (var claim in new[] { "given_name", "family_name", "gender", "birthdate" })
        {
            Assert.True(tokens.IdTokenJwt.TryGetClaim(claim, out _), claim);
        }
        Assert.False(tokens.IdTokenJwt.TryGetClaim("birthplace", out _));

        // The hub session of that login opens the dashboard without a new password.
        var dashboard = await browser.NavigateAsync("/account");
        Assert.Equal("/account", dashboard.Url);
        var text = WebUtility.HtmlDecode(dashboard.Html);
        Assert.Contains("<h2 id=\"history-heading\">Connection history</h2>", text, StringComparison.Ordinal);
        Assert.Contains("<h3>Land registry (test)</h3>", text, StringComparison.Ordinal);
        Assert.DoesNotContain(service.ClientId, text, StringComparison.Ordinal);
        Assert.Contains("<dd>Cơ sở dữ liệu quốc gia về dân cư</dd>", text, StringComparison.Ordinal);
        Assert.Contains("<dd>Low</dd>", text, StringComparison.Ordinal);
        foreach (var words in new[] { "Your given names", "Your family name", "Your gender", "Your date of birth", "Your place of birth" })
        {
            Assert.Contains($"<li>{words}</li>", text, StringComparison.Ordinal);
        }
        Assert.Contains($"datetime=\"{row.At.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\"", text, StringComparison.Ordinal);
        Assert.Contains(" UTC</time>", text, StringComparison.Ordinal);
        Assert.Contains("Data shared between agencies", text, StringComparison.Ordinal);
        Assert.Contains("No agency has shared data about you with another yet.", text, StringComparison.Ordinal);

        // In French: the service's French name, the claims and the level in French.
        var french = WebUtility.HtmlDecode((await browser.NavigateAsync("/account?culture=fr")).Html);
        Assert.Contains("<html lang=\"fr\">", french, StringComparison.Ordinal);
        Assert.Contains("Historique des connexions", french, StringComparison.Ordinal);
        Assert.Contains("<h3>Land registry (test) (fr)</h3>", french, StringComparison.Ordinal);
        Assert.Contains("<li>Votre lieu de naissance</li>", french, StringComparison.Ordinal);
        Assert.Contains("<dd>Faible</dd>", french, StringComparison.Ordinal);

        var vietnamese = WebUtility.HtmlDecode((await browser.NavigateAsync("/account?culture=vi")).Html);
        Assert.Contains("Lịch sử kết nối", vietnamese, StringComparison.Ordinal);
        Assert.Contains("<li>Ngày sinh của bạn</li>", vietnamese, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondServiceServedBySingleSignOn_IsASecondRow_AndAServiceWithoutPersonalClaimsSaysSo()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        var first = await AccountClients.RegisterAsync(hub, "First service");
        var second = await AccountClients.RegisterAsync(hub, "Second service");
        using var browser = hub.CreateBrowser();
        browser.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");

        await first.LoginAsync(browser, person.Username, RegistryPeople.Password, first.AuthorizeUrl("openid profile"));
        second.CallbackParameters(await browser.NavigateAsync(second.AuthorizeUrl("openid")));

        var rows = await AccountClients.HistoryAsync(hub, personId);
        Assert.Equal([first.ClientId, second.ClientId], rows.Select(r => r.ClientId));
        Assert.Equal("", rows[1].Claims);
        // Both logins came from one session, which both services are participants of.
        var session = Assert.Single(await AccountClients.SessionsAsync(hub, personId));
        Assert.Equal(2, (await AccountClients.RowsAsync(hub, db => db.SessionParticipants.Where(p => p.SessionId == session.Id))).Count);

        var text = WebUtility.HtmlDecode((await browser.NavigateAsync("/account")).Html);
        Assert.True(text.IndexOf("<h3>Second service</h3>", StringComparison.Ordinal) < text.IndexOf("<h3>First service</h3>", StringComparison.Ordinal), "Newest first.");
        Assert.Contains("No personal details, only an identifier for this service", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_IsShownAPageAtATime_NewestFirst_WithALinkToOlderLogins()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var now = DateTimeOffset.UtcNow;
            db.ConnectionHistory.AddRange(Enumerable.Range(1, 25).Select(i => new ConnectionRecord
            {
                PersonId = personId,
                ClientId = $"gone-service-{i:D2}",
                At = now.AddMinutes(i - 30),
                SourceId = "registry",
                Acr = "eidas1",
                Claims = "given_name",
            }));
            await db.SaveChangesAsync();
        }
        var (browser, dashboard) = await AccountClients.SignedInAsync(hub, person.Username);
        using var _ = browser;

        // A service no longer registered is named as such, with the identifier it had.
        Assert.Equal(20, CountOf(dashboard.Html, "A service no longer registered ("));
        Assert.Contains("A service no longer registered (gone-service-25)", dashboard.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("gone-service-05)", dashboard.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Most recent connections", dashboard.Html, StringComparison.Ordinal);
        var older = System.Text.RegularExpressions.Regex.Match(dashboard.Html, "href=\"(?<href>/account\\?before=\\d+)\">Older connections</a>");
        Assert.True(older.Success, "The page links to older logins.");

        var second = await browser.NavigateAsync(older.Groups["href"].Value);
        Assert.Equal(5, CountOf(second.Html, "A service no longer registered ("));
        Assert.Contains("(gone-service-05)", second.Html, StringComparison.Ordinal);
        Assert.Contains("(gone-service-01)", second.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Older connections", second.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"/account\">Most recent connections</a>", second.Html, StringComparison.Ordinal);

        // A page address that is no row id shows the newest page, not an error.
        var odd = await browser.NavigateAsync("/account?before=not-a-number");
        Assert.Equal(HttpStatusCode.OK, odd.Status);
        Assert.Contains("(gone-service-25)", odd.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogOut_OfAnotherSessionOfThePerson_EndsIt_AndQueuesBackchannelLogoutToItsServices()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        // Nobody listens there: the delivery is queued and retried, which is all this test looks at.
        var service = await AccountClients.RegisterAsync(hub, "Health insurance (test)", $"http://127.0.0.1:{Loopback.FreePort()}/backchannel");
        using var http = hub.CreateApiClient();
        using var elsewhere = hub.CreateBrowser();
        var tokens = await service.RedeemAsync(http, (await service.LoginAsync(elsewhere, person.Username, RegistryPeople.Password, service.AuthorizeUrl("openid profile")))["code"]);
        var other = Assert.Single(await AccountClients.SessionsAsync(hub, personId));

        var (browser, dashboard) = await AccountClients.SignedInAsync(hub, person.Username);
        using var _ = browser;
        Assert.Equal(2, CountOf(dashboard.Html, "handler=LogOut\""));
        Assert.Contains("Cơ sở dữ liệu quốc gia về dân cư (this browser)", WebUtility.HtmlDecode(dashboard.Html), StringComparison.Ordinal);
        // Newest first: the other browser's session is the second.
        var form = AccountClients.FormOf(dashboard, "LogOut", 1);
        Assert.Equal(other.Id, form.HiddenFields()["sessionId"]);

        var after = await browser.SubmitAsync(form, []);
        Assert.Equal("/account?notice=session-ended", after.Url);
        Assert.Contains("The session was ended.", after.Html, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(after.Html, "handler=LogOut\""));

        var ended = Assert.Single(await AccountClients.RowsAsync(hub, db => db.HubSessions.AsNoTracking().Where(s => s.Id == other.Id)));
        Assert.NotNull(ended.EndedAt);
        var logout = Assert.Single(await AccountClients.RowsAsync(hub, db => db.BackchannelLogouts.AsNoTracking().Where(b => b.SessionId == other.Id)));
        Assert.Equal(service.ClientId, logout.ClientId);
        Assert.Equal(tokens.IdTokenJwt.Subject, logout.Subject);

        // The other browser is logged out of the hub: the dashboard asks it for a login.
        Assert.StartsWith("/registry/signin", (await elsewhere.NavigateAsync("/account")).Url, StringComparison.Ordinal);
        // A second click on the same form changes nothing more.
        var again = await browser.SubmitAsync(form, []);
        Assert.Equal("/account?notice=session-not-found", again.Url);
        Assert.Single(await AccountClients.RowsAsync(hub, db => db.BackchannelLogouts.AsNoTracking().Where(b => b.SessionId == other.Id)));
    }

    [Fact]
    public async Task LogOut_OfThisBrowsersSession_SignsTheBrowserOut()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        var (browser, dashboard) = await AccountClients.SignedInAsync(hub, person.Username);
        using var _ = browser;

        var done = await browser.SubmitAsync(AccountClients.FormOf(dashboard, "LogOut"), []);
        Assert.Equal("/logout/done", done.Url);
        Assert.NotNull(Assert.Single(await AccountClients.SessionsAsync(hub, personId)).EndedAt);
        Assert.StartsWith("/registry/signin", (await browser.NavigateAsync("/account")).Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogOut_OfAnotherPersonsSession_IsRefusedWithoutAnError_AndChangesNothing()
    {
        var victim = await RegistryPeople.CreateAsync(hub);
        var victimId = await AccountClients.PersonIdAsync(hub, victim.Username);
        var (victimBrowser, _) = await AccountClients.SignedInAsync(hub, victim.Username);
        using var __ = victimBrowser;
        var victimSession = Assert.Single(await AccountClients.SessionsAsync(hub, victimId));

        var person = await RegistryPeople.CreateAsync(hub);
        var (browser, dashboard) = await AccountClients.SignedInAsync(hub, person.Username);
        using var _ = browser;
        foreach (var sessionId in new[] { victimSession.Id, "", "no-such-session", new string('x', 500) })
        {
            var refused = await browser.SubmitAsync(AccountClients.FormOf(dashboard, "LogOut"), new() { ["sessionId"] = sessionId });
            Assert.Equal(HttpStatusCode.OK, refused.Status);
            Assert.Equal("/account?notice=session-not-found", refused.Url);
            Assert.Contains("That session is no longer active.", refused.Html, StringComparison.Ordinal);
        }

        Assert.Null(Assert.Single(await AccountClients.SessionsAsync(hub, victimId)).EndedAt);
        Assert.Empty(await AccountClients.RowsAsync(hub, db => db.BackchannelLogouts.Where(b => b.SessionId == victimSession.Id)));
        Assert.Equal("/account", (await victimBrowser.NavigateAsync("/account")).Url);
        // The attacker's own session is untouched too.
        Assert.Equal("/account", (await browser.NavigateAsync("/account")).Url);
    }

    [Fact]
    public async Task Forms_WithoutAntiforgeryToken_AreRefused()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        var (browser, _) = await AccountClients.SignedInAsync(hub, person.Username);
        using var __ = browser;
        var session = Assert.Single(await AccountClients.SessionsAsync(hub, personId));

        using var logOut = await browser.Client.PostAsync("/account?handler=LogOut", new FormUrlEncodedContent(new Dictionary<string, string> { ["sessionId"] = session.Id }));
        Assert.Equal(HttpStatusCode.BadRequest, logOut.StatusCode);
        using var download = await browser.Client.PostAsync("/account?handler=Download", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, download.StatusCode);
        Assert.NotEqual("application/json", download.Content.Headers.ContentType?.MediaType);
        Assert.Null(Assert.Single(await AccountClients.SessionsAsync(hub, personId)).EndedAt);
    }

    [Fact]
    public async Task Security_SummarisesTheFactors_AndLinksToTheSecurityPage()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        await AddPasskeyAsync(personId, "Laptop", [1, 2, 3], [4, 5, 6]);
        var (browser, dashboard) = await AccountClients.SignedInAsync(hub, person.Username);
        using var _ = browser;

        var security = dashboard.Html[dashboard.Html.IndexOf("id=\"security-heading\"", StringComparison.Ordinal)..];
        Assert.Contains("<dt>Authenticator app</dt>", security, StringComparison.Ordinal);
        Assert.Contains("<dd>Not set up</dd>", security, StringComparison.Ordinal);
        Assert.Contains("<dt>Passkeys</dt>", security, StringComparison.Ordinal);
        Assert.Contains("<dd>1</dd>", security, StringComparison.Ordinal);
        Assert.Contains("href=\"/account/security\">Manage your authenticator app and passkeys</a>", security, StringComparison.Ordinal);
        Assert.Contains(">Add a passkey</button>", security, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Remove Laptop\">Remove</button>", security, StringComparison.Ordinal);

        // Remove goes to the security page's own form, which asks for eidas2 first: the passkey is a second factor.
        var remove = AccountClients.FormOf(dashboard, "RemovePasskey");
        Assert.Contains("action=\"/account/security?handler=RemovePasskey\"", remove.Html, StringComparison.Ordinal);
        var stepUp = await browser.SubmitAsync(remove, []);
        Assert.StartsWith("/registry/signin", stepUp.Url, StringComparison.Ordinal);
        Assert.Equal(1, await AccountClients.PasskeyCountAsync(hub, personId));
    }

    [Fact]
    public async Task Download_IsAJsonAttachmentOfThePersonsData_WithNoSecretInIt()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var personId = await AccountClients.PersonIdAsync(hub, person.Username);
        var service = await AccountClients.RegisterAsync(hub, "Tax office (test)");
        using var http = hub.CreateApiClient();

        var (secret, recoveryCodes) = await EnrolFromSecurityPageAsync(person.Username);
        // A wrong password: the username's lock-out row counts it (and a password alone does not forgive it, the
        // account having a second factor).
        using (var stranger = hub.CreateBrowser())
        {
            var signIn = await stranger.NavigateAsync(service.AuthorizeUrl("openid profile"));
            await stranger.SubmitAsync(signIn, new() { ["Input.Username"] = person.Username, ["Input.Password"] = "Wrong-Password-123" });
        }
        byte[] publicKey = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x17, 0x28, 0x39, 0x4A, 0x5B, 0x6C];
        byte[] userHandle = [0x71, 0x82, 0x93, 0xA4, 0xB5, 0xC6, 0xD7, 0xE8, 0xF9, 0x0A, 0x1B, 0x2C];
        var credentialId = await AddPasskeyAsync(personId, "Phone", publicKey, userHandle);

        // The account has a second factor now: the service's login at eidas1 still needs the password only.
        using var browser = hub.CreateBrowser();
        browser.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var tokens = await service.RedeemAsync(http, (await service.LoginAsync(browser, person.Username, RegistryPeople.Password, service.AuthorizeUrl("openid profile birth")))["code"]);
        var dashboard = await browser.NavigateAsync("/account");
        Assert.Equal("/account", dashboard.Url);

        var form = AccountClients.FormOf(dashboard, "Download");
        var fields = form.HiddenFields();
        using var response = await browser.Client.PostAsync(WebUtility.HtmlDecode(form.FormAction()!), new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Matches("^identityhub-my-data-\\d{4}-\\d{2}-\\d{2}\\.json$", response.Content.Headers.ContentDisposition!.FileName!.Trim('"'));
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var json = await response.Content.ReadAsStringAsync();
        var data = JsonDocument.Parse(json).RootElement;

        var subject = data.GetProperty("person");
        Assert.Equal(person.IdentityNumber, subject.GetProperty("identityNumber").GetString());
        Assert.Equal("Hoa", subject.GetProperty("givenName").GetString());
        Assert.Equal("1992-04-05", subject.GetProperty("birthdate").GetString());
        Assert.Equal("female", subject.GetProperty("gender").GetString());

        var account = data.GetProperty("registryAccount");
        Assert.Equal(person.Username, account.GetProperty("username").GetString());
        Assert.Equal(JsonValueKind.String, account.GetProperty("authenticatorApp").GetProperty("enabledAt").ValueKind);
        Assert.False(account.GetProperty("authenticatorSetupPending").GetBoolean());
        Assert.Equal(10, account.GetProperty("recoveryCodes").GetArrayLength());
        Assert.All(account.GetProperty("recoveryCodes").EnumerateArray(), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usedAt").ValueKind));
        var passkey = Assert.Single(account.GetProperty("passkeys").EnumerateArray());
        Assert.Equal("Phone", passkey.GetProperty("name").GetString());
        Assert.True(account.GetProperty("lockOut").GetProperty("failedAttempts").GetInt32() >= 1);

        var sessions = await AccountClients.SessionsAsync(hub, personId);
        Assert.Equal(sessions.Count, data.GetProperty("sessions").GetArrayLength());
        Assert.Contains(data.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("services").EnumerateArray()
            .Any(v => v.GetProperty("clientId").GetString() == service.ClientId && v.GetProperty("name").GetString() == "Tax office (test)"));
        var connection = Assert.Single(data.GetProperty("connectionHistory").EnumerateArray());
        Assert.Equal(service.ClientId, connection.GetProperty("service").GetProperty("clientId").GetString());
        Assert.Equal("Tax office (test)", connection.GetProperty("service").GetProperty("name").GetString());
        Assert.Equal("registry", connection.GetProperty("identitySource").GetString());
        Assert.Equal("eidas1", connection.GetProperty("level").GetString());
        Assert.Contains("birthplace", connection.GetProperty("claims").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(JsonValueKind.Null, connection.GetProperty("enterprise").ValueKind);
        var sector = Assert.Single(data.GetProperty("pairwiseSubjects").EnumerateArray());
        Assert.Equal(service.ClientId + ".example", sector.GetProperty("sector").GetString());
        Assert.Equal(tokens.IdTokenJwt.Subject, sector.GetProperty("subject").GetString());
        // What the audit trail recorded of the person comes with it.
        var recorded = data.GetProperty("auditEvents").EnumerateArray().ToList();
        Assert.Contains(recorded, e => e.GetProperty("type").GetString() == "login.succeeded" && e.GetProperty("source").GetString() == "registry");
        Assert.Contains(recorded, e => e.GetProperty("type").GetString() == "token.issued" && e.GetProperty("client").GetString() == service.ClientId);

        // Nothing that proves who the person is, and none of the keys the hub finds their rows by.
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var stored = await db.RegistryAccounts.AsNoTracking().SingleAsync(a => a.PersonId == personId);
        var hashes = await db.RecoveryCodes.AsNoTracking().Where(c => c.PersonId == personId).Select(c => c.Hash).ToListAsync();
        var throttleKey = scope.ServiceProvider.GetRequiredService<AccountLocks>().KeyOf(person.Username);
        string[] secrets =
        [
            stored.PasswordHash, stored.TotpSecret!, secret, .. recoveryCodes, .. recoveryCodes.Select(c => c.Replace("-", "", StringComparison.Ordinal)), .. hashes,
            Convert.ToBase64String(publicKey), Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(publicKey),
            Convert.ToBase64String(userHandle), Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(userHandle),
            credentialId, throttleKey, .. sessions.Select(s => s.Id), RegistryPeople.Password,
        ];
        Assert.All(secrets, value => Assert.DoesNotContain(value, json, StringComparison.Ordinal));
        foreach (var name in new[] { "passwordHash", "totpSecret", "pendingTotpSecret", "hash", "publicKey", "userHandle", "credentialId", "signCount", "key" })
        {
            Assert.DoesNotContain($"\"{name}\"", json, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>An authenticator app set up from /account/security after a password, as the person would: its secret and recovery codes.</summary>
    private async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnrolFromSecurityPageAsync(string username)
    {
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync("/account/security");
        var security = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = RegistryPeople.Password });
        Assert.Equal("/account/security", security.Url);
        var enrolment = await browser.NavigateAsync("/registry/enrol");
        var secret = RegistryPeople.SetupKey(enrolment.Html);
        var codes = await browser.SubmitAsync(enrolment, new() { ["Code"] = RegistryPeople.Code(secret, DateTimeOffset.UtcNow) });
        var recovery = RegistryPeople.RecoveryCodes(codes.Html);
        Assert.Equal(10, recovery.Count);
        return (secret, recovery);
    }

    /// <returns>The passkey's credential id.</returns>
    private async Task<string> AddPasskeyAsync(Guid personId, string name, byte[] publicKey, byte[] userHandle)
    {
        var credentialId = "credential-" + Guid.NewGuid().ToString("N");
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        db.Passkeys.Add(new Passkey
        {
            CredentialId = credentialId,
            PersonId = personId,
            UserHandle = userHandle,
            PublicKey = publicKey,
            Name = name,
            Transports = "internal hybrid",
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return credentialId;
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}

public sealed class SqliteDashboardTests(SqliteHub hub) : DashboardTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresDashboardTests(PostgresHub hub) : DashboardTests(hub), IClassFixture<PostgresHub>;
