using System.Net;
using System.Net.Http.Headers;
using IdentityHub.Consent;
using IdentityHub.Data;
using IdentityHub.Protocol;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace IdentityHub.Tests.Consent;

/// <summary>
/// Consent for services registered <c>consent: explicit</c> (docs/integration.md, "Consent"): the page, what it
/// remembers, <c>prompt=consent</c> and <c>prompt=none</c>, declining, implicit services, and withdrawal.
/// </summary>
public abstract class ConsentTests(HubFactory hub)
{
    private const string Demo = "Dịch vụ công mẫu";

    [Fact]
    public async Task ExplicitService_NamesItselfAndEachClaimInPlainWords_ContinueGivesTheCode_AndSingleSignOnDoesNotAskAgain()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();

        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid profile email offline_access"));
        Assert.True(page.IsConsent, $"{(int)page.Status} {page.Url}");
        Assert.Contains(Demo, WebUtility.HtmlDecode(page.Html), StringComparison.Ordinal);
        foreach (var words in new[] { "Your given names", "Your family name", "Your date of birth", "Your email address", "while you are not using the service" })
        {
            Assert.Contains(words, page.Html, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("Your postal address", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(">given_name<", page.Html, StringComparison.Ordinal);
        Assert.Contains(">Continue</button>", page.Html, StringComparison.Ordinal);
        Assert.Contains(">Cancel</button>", page.Html, StringComparison.Ordinal);

        var back = await browser.SubmitAsync(page, new() { ["decision"] = "continue" });
        var code = client.CallbackParameters(back)["code"];
        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.Equal("Thử", tokens.IdTokenJwt.GetClaim("given_name").Value);

        // Single sign-on with the same request, or with less: no page.
        var again = OidcClient.Demo();
        Assert.Contains("code", again.CallbackParameters(await browser.NavigateAsync(again.AuthorizeUrl("openid profile email offline_access"))).Keys);
        Assert.Contains("code", again.CallbackParameters(await browser.NavigateAsync(again.AuthorizeUrl("openid profile"))).Keys);
        Assert.Equal(1, await ConsentRowsAsync(username));
    }

    [Fact]
    public async Task ANewClaim_OrPromptConsent_AsksAgain_AndTheAgreementWidens()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var first = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid profile"));
        Assert.True(first.IsConsent);
        Assert.DoesNotContain("Your email address", first.Html, StringComparison.Ordinal);
        client.CallbackParameters(await browser.SubmitAsync(first, new() { ["decision"] = "continue" }));

        // Another scope (email), and a claim asked one by one (birthplace): the page again, on single sign-on.
        var wider = await browser.NavigateAsync(client.AuthorizeUrl("openid profile email"));
        Assert.True(wider.IsConsent, $"{(int)wider.Status} {wider.Url}");
        Assert.Contains("Your email address", wider.Html, StringComparison.Ordinal);
        client.CallbackParameters(await browser.SubmitAsync(wider, new() { ["decision"] = "continue" }));
        var claims = """{"id_token":{"birthplace":null}}""";
        var oneByOne = await browser.NavigateAsync(client.AuthorizeUrl("openid", new() { ["claims"] = claims }));
        Assert.True(oneByOne.IsConsent);
        Assert.Contains("Your place of birth", oneByOne.Html, StringComparison.Ordinal);
        client.CallbackParameters(await browser.SubmitAsync(oneByOne, new() { ["decision"] = "continue" }));

        // Everything agreed so far goes through; prompt=consent asks even so.
        Assert.Contains("code", client.CallbackParameters(await browser.NavigateAsync(client.AuthorizeUrl("openid profile email"))).Keys);
        var prompted = await browser.NavigateAsync(client.AuthorizeUrl("openid profile", new() { ["prompt"] = "consent" }));
        Assert.True(prompted.IsConsent);
        Assert.Contains("code", client.CallbackParameters(await browser.SubmitAsync(prompted, new() { ["decision"] = "continue" })).Keys);
        Assert.Equal(1, await ConsentRowsAsync(username));
    }

    [Fact]
    public async Task Cancel_SendsAccessDeniedWithStateAndIss_AndRemembersNothing()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl());

        var back = client.CallbackParameters(await browser.SubmitAsync(page, new() { ["decision"] = "cancel" }));
        Assert.Equal("access_denied", back["error"]);
        Assert.Equal(client.State, back["state"]);
        Assert.Equal(HubFactory.Issuer, back["iss"]);
        Assert.DoesNotContain("code", back.Keys);
        Assert.Equal(0, await ConsentRowsAsync(username));

        // Still signed in at the hub: the next request goes straight to the consent page, not to the sign-in.
        var next = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        Assert.True(next.IsConsent, $"{(int)next.Status} {next.Url}");
    }

    [Fact]
    public async Task PromptNone_WithoutAConsent_IsConsentRequired_AndWithOne_GetsTheCode()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid profile"));
        Assert.True(page.IsConsent);

        // Signed in, but not agreed: a silent request cannot ask.
        var silent = OidcClient.Demo();
        var refused = silent.CallbackParameters(await browser.NavigateAsync(silent.AuthorizeUrl("openid profile", new() { ["prompt"] = "none" })));
        Assert.Equal("consent_required", refused["error"]);
        Assert.Equal(silent.State, refused["state"]);

        client.CallbackParameters(await browser.SubmitAsync(page, new() { ["decision"] = "continue" }));
        Assert.Contains("code", silent.CallbackParameters(await browser.NavigateAsync(silent.AuthorizeUrl("openid profile", new() { ["prompt"] = "none" }))).Keys);
        var wider = silent.CallbackParameters(await browser.NavigateAsync(silent.AuthorizeUrl("openid profile email", new() { ["prompt"] = "none" })));
        Assert.Equal("consent_required", wider["error"]);
    }

    [Fact]
    public async Task ImplicitService_NeverShowsThePage()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        var client = await ImplicitClientAsync();
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var back = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid profile"));
        Assert.Contains("code", client.CallbackParameters(back).Keys);
        Assert.Equal(0, await ConsentRowsAsync(username));
    }

    [Fact]
    public async Task ADoubleSubmit_RecordsOneAgreement_AndTheSecondClickFollowsTheFirst()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid profile"));

        var first = await browser.SubmitAsync(page, new() { ["decision"] = "continue" });
        var second = await browser.SubmitAsync(page, new() { ["decision"] = "cancel" });
        Assert.Contains("code", client.CallbackParameters(first).Keys);
        // The journey has ended: the late click finds nothing to decide, and its outcome was taken once.
        Assert.False(second.IsConsent);
        Assert.DoesNotContain("code=", second.Location ?? "", StringComparison.Ordinal);
        Assert.Equal(1, await ConsentRowsAsync(username));
    }

    [Fact]
    public async Task Withdrawing_RevokesTheServicesTokensAtOnce_AndTheNextLoginAsksAgain()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl());
        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, client.CallbackParameters(await browser.SubmitAsync(page, new() { ["decision"] = "continue" }))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.Equal(HttpStatusCode.OK, await UserInfoAsync(http, tokens.AccessToken));

        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var consents = scope.ServiceProvider.GetRequiredService<Consents>();
            var personId = await PersonIdAsync(username);
            var given = Assert.Single(await consents.ListAsync(personId, CancellationToken.None));
            Assert.Equal(OidcClient.DemoClientId, given.ClientId);
            Assert.Equal(Demo, given.ServiceName);
            Assert.Contains("offline_access", given.Items);
            // Another person cannot withdraw it.
            Assert.False(await consents.WithdrawAsync(Guid.NewGuid(), given.Id, CancellationToken.None));
            Assert.True(await consents.WithdrawAsync(personId, given.Id, CancellationToken.None));
            Assert.False(await consents.WithdrawAsync(personId, given.Id, CancellationToken.None));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoAsync(http, tokens.AccessToken));
        Assert.Equal("invalid_grant", (await client.RefreshAsync(http, tokens.RefreshToken)).Error);
        var again = OidcClient.Demo();
        Assert.True((await browser.NavigateAsync(again.AuthorizeUrl())).IsConsent);
    }

    [Fact]
    public async Task TheDashboard_ListsTheConsent_AndItsWithdrawButtonRevokesTheTokens()
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid email offline_access"));
        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, client.CallbackParameters(await browser.SubmitAsync(page, new() { ["decision"] = "continue" }))["code"]);

        var account = await browser.NavigateAsync("/account?culture=en");
        Assert.Equal(HttpStatusCode.OK, account.Status);
        var html = WebUtility.HtmlDecode(account.Html);
        Assert.Contains(">Consents</h2>", html, StringComparison.Ordinal);
        Assert.Contains(Demo, html, StringComparison.Ordinal);
        Assert.Contains("Your email address", html, StringComparison.Ordinal);
        var consentId = System.Text.RegularExpressions.Regex.Match(account.Html, "name=\"consentId\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.True(Guid.TryParse(consentId, out _), account.Html);
        Assert.Contains(">Withdraw</button>", account.Html, StringComparison.Ordinal);

        // Without the antiforgery token, nothing happens.
        using var forged = await browser.Client.PostAsync("/account?handler=Withdraw", new FormUrlEncodedContent(new Dictionary<string, string> { ["consentId"] = consentId }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await UserInfoAsync(http, tokens.AccessToken));

        var form = IdentityHub.Tests.Account.AccountClients.FormOf(account, "Withdraw");
        Assert.Equal(consentId, form.HiddenFields()["consentId"]);
        var after = await browser.SubmitAsync(form, []);
        Assert.Equal("/account?notice=consent-withdrawn", after.Url);
        Assert.Contains("The consent was withdrawn.", after.Html, StringComparison.Ordinal);
        Assert.Contains("You have not agreed to share your information with any service.", WebUtility.HtmlDecode(after.Html), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoAsync(http, tokens.AccessToken));
        Assert.Equal("invalid_grant", (await client.RefreshAsync(http, tokens.RefreshToken)).Error);

        // The download names what was agreed while it lasted, and is empty of consents now.
        var download = await browser.SubmitAsync(IdentityHub.Tests.Account.AccountClients.FormOf(after, "Download"), []);
        using var json = System.Text.Json.JsonDocument.Parse(download.Html);
        Assert.Equal(0, json.RootElement.GetProperty("consents").GetArrayLength());
    }

    [Theory]
    [InlineData("vi", "Chia sẻ thông tin của bạn", "Địa chỉ email của bạn", "Tiếp tục")]
    [InlineData("fr", "Partager vos informations", "Votre adresse électronique", "Continuer")]
    public async Task ThePage_SpeaksThePersonsLanguage(string language, string title, string email, string button)
    {
        var username = await RegistryPeople.InsertAsync(hub, "consent");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        var client = OidcClient.Demo();
        var page = await SignInAsync(browser, client, username, client.AuthorizeUrl("openid email", new() { ["ui_locales"] = language }));
        Assert.True(page.IsConsent);
        Assert.Contains($"lang=\"{language}\"", page.Html, StringComparison.Ordinal);
        foreach (var text in new[] { title, email, button })
        {
            Assert.Contains(text, WebUtility.HtmlDecode(page.Html), StringComparison.Ordinal);
        }
    }

    private static async Task<Browser.Page> SignInAsync(Browser browser, OidcClient client, string username, string url)
    {
        var signIn = await browser.NavigateAsync(url);
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        return await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" });
    }

    private static async Task<HttpStatusCode> UserInfoAsync(HttpClient http, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<Guid> PersonIdAsync(string username)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        return await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
    }

    private async Task<int> ConsentRowsAsync(string username)
    {
        var personId = await PersonIdAsync(username);
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().Consents.CountAsync(c => c.PersonId == personId);
    }

    private async Task<OidcClient> ImplicitClientAsync()
    {
        var clientId = "implicit-" + Guid.NewGuid().ToString("N")[..6];
        var client = new OidcClient(clientId, clientId + "-secret-0123456789abcdef", "https://implicit.example/signin-oidc");
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = clientId + "-secret-0123456789abcdef",
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = "Implicit service",
            RedirectUris = { new Uri(client.RedirectUri) },
        };
        descriptor.Permissions.UnionWith(["ept:authorization", "ept:token", "gt:authorization_code", "rst:code", "scp:profile"]);
        await hub.RegisterClientAsync(descriptor, "implicit.example", ConsentMode.Implicit);
        return client;
    }
}

public sealed class SqliteConsentTests(SqliteHub hub) : ConsentTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresConsentTests(PostgresHub hub) : ConsentTests(hub), IClassFixture<PostgresHub>;
