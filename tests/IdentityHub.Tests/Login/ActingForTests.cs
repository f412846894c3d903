using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Login;

/// <summary>
/// Acting for an enterprise (docs/integration.md, "Enterprises"; docs/design.md, "Acting for an enterprise"): the
/// acting-for page after authentication, the enterprise claims in the ID token and at userinfo, the session's last
/// choice first, <c>prompt=none</c>, a person who represents none, and services only for enterprises.
/// </summary>
public abstract class ActingForTests(HubFactory hub)
{
    private const string Scope = "openid profile enterprise";

    [Fact]
    public async Task ARepresentativeOfTwoEnterprises_PicksEachInTurn_AndTheServiceIsToldWhichWithTheSameSub()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var port = await EnterpriseAsync("Công ty TNHH Cảng Thử", person.IdentityNumber, "legal_representative");
        var shop = await EnterpriseAsync("Hợp tác xã Thử", person.IdentityNumber, "delegate");
        var client = await ServiceAsync("acting");
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();

        var page = await SignInAsync(browser, client, person.Username);
        Assert.True(IsActingFor(page), $"{(int)page.Status} {page.Url}");
        var html = WebUtility.HtmlDecode(page.Html);
        Assert.Contains("Who are you acting for?", html, StringComparison.Ordinal);
        Assert.Contains(">As an individual</label>", html, StringComparison.Ordinal);
        Assert.Contains(">Công ty TNHH Cảng Thử</label>", html, StringComparison.Ordinal);
        Assert.Contains(">Hợp tác xã Thử</label>", html, StringComparison.Ordinal);
        Assert.Contains($"Tax code {port}, as legal_representative", html, StringComparison.Ordinal);
        Assert.Contains(">Continue</button>", html, StringComparison.Ordinal);
        Assert.Equal(IndividualValue, Checked(page));

        var first = await RedeemAsync(http, client, await browser.SubmitAsync(page, new() { ["choice"] = port }));
        var idToken = first.IdTokenJwt;
        Assert.Equal(port, idToken.GetClaim("enterprise_id").Value);
        Assert.Equal("Công ty TNHH Cảng Thử", idToken.GetClaim("enterprise_name").Value);
        Assert.Equal("legal_representative", idToken.GetClaim("enterprise_role").Value);
        Assert.Equal(IdentitySource.RegistryId, idToken.GetClaim("enterprise_source").Value);
        var info = await UserInfoAsync(http, first.AccessToken);
        Assert.Equal(port, info.GetProperty("enterprise_id").GetString());
        Assert.Equal("legal_representative", info.GetProperty("enterprise_role").GetString());
        Assert.Equal(idToken.Subject, info.GetProperty("sub").GetString());
        // The access token itself says nothing of the enterprise (a resource server may log it).
        Assert.DoesNotContain("enterprise", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(first.AccessToken).Claims.Select(c => c.Type).Aggregate("", (a, b) => a + " " + b), StringComparison.Ordinal);

        // Single sign-on asks again, the last choice checked first; the other enterprise this time.
        var again = await browser.NavigateAsync(client.AuthorizeUrl(Scope + " offline_access"));
        Assert.True(IsActingFor(again), $"{(int)again.Status} {again.Url}");
        Assert.Equal(port, Checked(again));
        var second = await RedeemAsync(http, client, await browser.SubmitAsync(again, new() { ["choice"] = shop }));
        Assert.Equal(shop, second.IdTokenJwt.GetClaim("enterprise_id").Value);
        Assert.Equal("delegate", second.IdTokenJwt.GetClaim("enterprise_role").Value);
        Assert.Equal(idToken.Subject, second.IdTokenJwt.Subject);

        // As an individual: no enterprise claim anywhere.
        var third = await browser.NavigateAsync(client.AuthorizeUrl(Scope));
        Assert.Equal(shop, Checked(third));
        var individual = await RedeemAsync(http, client, await browser.SubmitAsync(third, new() { ["choice"] = IndividualValue }));
        Assert.False(individual.IdTokenJwt.TryGetClaim("enterprise_id", out _));
        Assert.False((await UserInfoAsync(http, individual.AccessToken)).TryGetProperty("enterprise_id", out _));
        Assert.Equal(idToken.Subject, individual.IdTokenJwt.Subject);

        // The refreshed tokens keep whom the person acted for.
        var refreshed = await client.RefreshAsync(http, second.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(shop, (await UserInfoAsync(http, refreshed.AccessToken)).GetProperty("enterprise_id").GetString());

        // A service that does not ask for enterprise gets no page and no claim, even in the same session.
        var plain = await browser.NavigateAsync(client.AuthorizeUrl("openid profile"));
        var quiet = await RedeemAsync(http, client, plain);
        Assert.False(quiet.IdTokenJwt.TryGetClaim("enterprise_id", out _));

        // The person's history shows the enterprise for the logins made for it.
        var history = await HistoryAsync(person.Username);
        Assert.Equal([null, null, shop, port], history);
        var account = WebUtility.HtmlDecode((await browser.NavigateAsync("/account?lang=en")).Html);
        Assert.Contains($"Hợp tác xã Thử (tax code {shop})", account, StringComparison.Ordinal);
        Assert.Contains($"Công ty TNHH Cảng Thử (tax code {port})", account, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChoiceNotOffered_IsRefusedOnThePage_AndNothingMovesOn()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        await EnterpriseAsync("Công ty Thật", person.IdentityNumber, "legal_representative");
        var stranger = await EnterpriseAsync("Công ty Người Khác", "079" + Digits(9), "legal_representative");
        var client = await ServiceAsync("forged-choice");
        using var browser = hub.CreateBrowser();

        var page = await SignInAsync(browser, client, person.Username);
        Assert.True(IsActingFor(page));
        Assert.DoesNotContain("Công ty Người Khác", WebUtility.HtmlDecode(page.Html), StringComparison.Ordinal);
        foreach (var forged in new[] { stranger, "0000000000", "", "individual " })
        {
            var refused = await browser.SubmitAsync(page, new() { ["choice"] = forged });
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.True(IsActingFor(refused), refused.Url);
            Assert.Contains("role=\"alert\"", refused.Html, StringComparison.Ordinal);
        }
        // Still at the same step: the genuine choice goes on.
        var back = await browser.SubmitAsync(page, new() { ["choice"] = IndividualValue });
        Assert.Contains("code", client.CallbackParameters(back).Keys);
        // A replayed form after that finds nothing to act on.
        var replay = await browser.SubmitAsync(page, new() { ["choice"] = IndividualValue });
        Assert.Equal(HttpStatusCode.BadRequest, replay.Status);
        Assert.Contains("/error/", replay.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APersonWhoRepresentsNone_IsToldSo_AndGoesOnAsAnIndividual_AndPromptNoneNeedsInteraction()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var client = await ServiceAsync("no-enterprise");
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();

        var page = await SignInAsync(browser, client, person.Username);
        Assert.True(IsActingFor(page));
        Assert.Contains("record no enterprise that you represent", page.Html, StringComparison.Ordinal);
        Assert.Equal(IndividualValue, Checked(page));
        var tokens = await RedeemAsync(http, client, await browser.SubmitAsync(page, new() { ["choice"] = IndividualValue }));
        Assert.False(tokens.IdTokenJwt.TryGetClaim("enterprise_id", out _));

        // With a session, the choice still needs the person: prompt=none cannot make it for them.
        var silent = await browser.NavigateAsync(client.AuthorizeUrl(Scope, new() { ["prompt"] = "none" }));
        var answer = client.CallbackParameters(silent);
        Assert.Equal("interaction_required", answer["error"]);
        Assert.Equal(client.State, answer["state"]);
        Assert.Equal(HubFactory.Issuer, answer["iss"]);
    }

    [Fact]
    public async Task AServiceOnlyForEnterprises_RefusesAnIndividual_AndOffersNoIndividualChoiceToARepresentative()
    {
        using var admin = await hub.CreateAdminClientAsync();
        using var refused = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", Registration("only-refused", ["openid", "profile"], enterpriseOnly: true));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("enterpriseOnly", out _));

        var client = await ServiceAsync("only", enterpriseOnly: true);
        using (var read = await admin.GetAsync($"/api/admin/v1/relying-parties/{client.ClientId}"))
        {
            Assert.True((await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enterpriseOnly").GetBoolean());
        }

        // Someone who represents nothing: the error page, then access_denied at the service.
        var nobody = await RegistryPeople.CreateAsync(hub);
        using (var browser = hub.CreateBrowser())
        {
            var page = await SignInAsync(browser, client, nobody.Username);
            Assert.Equal(HttpStatusCode.BadRequest, page.Status);
            Assert.Contains("/error/no_enterprise", page.Url, StringComparison.Ordinal);
            Assert.Contains("only for people acting for an enterprise", page.Html, StringComparison.Ordinal);
            var way = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page.Html, "href=\"(/connect/authorize[^\"]*)\"").Groups[1].Value);
            Assert.False(string.IsNullOrEmpty(way), "The error page leads back to the service.");
            var back = client.CallbackParameters(await browser.NavigateAsync(way));
            Assert.Equal("access_denied", back["error"]);
            Assert.Equal(client.State, back["state"]);
        }

        // A representative: the enterprise checked, no "As an individual", and an individual choice refused.
        var director = await RegistryPeople.CreateAsync(hub);
        var company = await EnterpriseAsync("Công ty Chỉ Doanh Nghiệp", director.IdentityNumber, "legal_representative");
        using (var browser = hub.CreateBrowser())
        using (var http = hub.CreateApiClient())
        {
            var page = await SignInAsync(browser, client, director.Username);
            Assert.True(IsActingFor(page), page.Url);
            Assert.DoesNotContain("As an individual", page.Html, StringComparison.Ordinal);
            Assert.Equal(company, Checked(page));
            Assert.Equal(HttpStatusCode.BadRequest, (await browser.SubmitAsync(page, new() { ["choice"] = IndividualValue })).Status);
            var tokens = await RedeemAsync(http, client, await browser.SubmitAsync(page, new() { ["choice"] = company }));
            Assert.Equal(company, tokens.IdTokenJwt.GetClaim("enterprise_id").Value);
        }
    }

    [Fact]
    public async Task AServiceOnlyForEnterprises_IsOfferedOnlySourcesThatCanAuthenticateRepresentatives()
    {
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            db.IdentitySources.Add(new IdentitySource
            {
                Id = "individuals-only",
                DisplayName = "Ngân hàng Cá nhân",
                Kind = IdentitySourceKind.Oidc,
                Acr = "eidas2",
                Subjects = SourceSubjects.Individuals,
                Enabled = true,
                Authority = new Uri("https://individuals.example"),
                ClientId = "hub",
            });
            await db.SaveChangesAsync();
        }
        try
        {
            var everyone = await ServiceAsync("for-everyone");
            var only = await ServiceAsync("for-enterprises", enterpriseOnly: true);
            using var browser = hub.CreateBrowser();
            var chooser = await browser.NavigateAsync(everyone.AuthorizeUrl(Scope));
            Assert.Contains("/login/", chooser.Url, StringComparison.Ordinal);
            Assert.Contains("Ngân hàng Cá nhân", WebUtility.HtmlDecode(chooser.Html), StringComparison.Ordinal);
            // The registry records representatives (the demo director's): the only source offered, so no chooser at all.
            var direct = await browser.NavigateAsync(only.AuthorizeUrl(Scope));
            Assert.StartsWith("/registry/signin", direct.Url, StringComparison.Ordinal);
            // Named by idp_hint, the individuals' source is still not offered.
            var hinted = await browser.NavigateAsync(only.AuthorizeUrl(Scope, new() { ["idp_hint"] = "individuals-only" }));
            Assert.DoesNotContain("Ngân hàng Cá nhân", WebUtility.HtmlDecode(hinted.Html), StringComparison.Ordinal);
        }
        finally
        {
            await using var scope = hub.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            await db.IdentitySources.Where(s => s.Id == "individuals-only").ExecuteDeleteAsync();
            // A bulk statement, as the admin API's removal: every instance is told the sources changed.
            await SettingsChangeInterceptor.NotifyAsync(db, scope.ServiceProvider.GetRequiredService<SettingsChanges>(), default);
        }
    }

    [Fact]
    public async Task ExplicitConsent_NamesTheEnterprise_AndAsksAgainWhenTheEnterpriseClaimsAreNew()
    {
        var person = await RegistryPeople.CreateAsync(hub);
        var company = await EnterpriseAsync("Công ty Đồng Ý", person.IdentityNumber, "legal_representative");
        var client = await ServiceAsync("consenting", consent: "explicit");
        using var browser = hub.CreateBrowser(agreeToConsent: false);

        var acting = await SignInAsync(browser, client, person.Username);
        var consent = await browser.SubmitAsync(acting, new() { ["choice"] = IndividualValue });
        Assert.True(consent.IsConsent, consent.Url);
        Assert.DoesNotContain("The enterprise's tax code", consent.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("You are acting for", consent.Html, StringComparison.Ordinal);
        client.CallbackParameters(await browser.SubmitAsync(consent, new() { ["decision"] = "continue" }));

        // Acting for the enterprise now: the page names it, and lists what the service will learn of it.
        var again = await browser.NavigateAsync(client.AuthorizeUrl(Scope));
        var forCompany = await browser.SubmitAsync(again, new() { ["choice"] = company });
        Assert.True(forCompany.IsConsent, forCompany.Url);
        var html = WebUtility.HtmlDecode(forCompany.Html);
        Assert.Contains("You are acting for Công ty Đồng Ý.", html, StringComparison.Ordinal);
        Assert.Contains("The enterprise's tax code", html, StringComparison.Ordinal);
        Assert.Contains("Your role in the enterprise", html, StringComparison.Ordinal);
        client.CallbackParameters(await browser.SubmitAsync(forCompany, new() { ["decision"] = "continue" }));

        // Both agreed: the acting-for page still, and no consent page after it.
        var third = await browser.NavigateAsync(client.AuthorizeUrl(Scope));
        Assert.Contains("code", client.CallbackParameters(await browser.SubmitAsync(third, new() { ["choice"] = company })).Keys);
    }

    private const string IndividualValue = "individual";

    private static bool IsActingFor(Browser.Page page) => page.Url.Contains("/acting-for/", StringComparison.Ordinal);

    private static string? Checked(Browser.Page page) =>
        System.Text.RegularExpressions.Regex.Match(page.Html, "<input type=\"radio\"[^>]*value=\"([^\"]*)\"[^>]*checked=\"checked\"").Groups[1] is { Success: true } g ? g.Value : null;

    private static async Task<Browser.Page> SignInAsync(Browser browser, OidcClient client, string username)
    {
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl(Scope));
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        return await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = RegistryPeople.Password });
    }

    private static async Task<TokenResponse> RedeemAsync(HttpClient http, OidcClient client, Browser.Page callback)
    {
        var tokens = await client.RedeemAsync(http, client.CallbackParameters(callback)["code"]);
        Assert.True(tokens.Status == HttpStatusCode.OK, tokens.Body.ToString());
        return tokens;
    }

    private static async Task<JsonElement> UserInfoAsync(HttpClient http, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>An enterprise with a fresh tax code, and <paramref name="identityNumber"/>'s person as its representative.</summary>
    private async Task<string> EnterpriseAsync(string name, string identityNumber, string role)
    {
        var enterpriseId = "0" + Digits(9);
        using var admin = await hub.CreateAdminClientAsync();
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/registry/enterprises", new { enterpriseId, name });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        if (identityNumber.Length == 12 && await PersonExistsAsync(identityNumber))
        {
            using var added = await admin.PostAsJsonAsync($"/api/admin/v1/registry/enterprises/{enterpriseId}/representatives", new { identityNumber, role });
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        return enterpriseId;
    }

    private async Task<bool> PersonExistsAsync(string identityNumber)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().People.AnyAsync(p => p.IdentityNumber == identityNumber);
    }

    private async Task<OidcClient> ServiceAsync(string name, bool enterpriseOnly = false, string consent = "implicit")
    {
        using var admin = await hub.CreateAdminClientAsync();
        var registration = Registration(name, ["openid", "profile", "enterprise", "offline_access"], enterpriseOnly, consent);
        using var response = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", registration);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var secret = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString();
        return new OidcClient(registration.ClientId, secret, registration.RedirectUris[0]);
    }

    private static ServiceRegistration Registration(string name, string[] scopes, bool enterpriseOnly = false, string consent = "implicit")
    {
        var clientId = name + "-" + Guid.NewGuid().ToString("N")[..8];
        return new ServiceRegistration(clientId, name, "confidential", [$"https://{clientId}.example/cb"], scopes, consent, enterpriseOnly);
    }

    private sealed record ServiceRegistration(string ClientId, string DisplayName, string ClientType, string[] RedirectUris, string[] AllowedScopes, string Consent,
        bool EnterpriseOnly);

    /// <summary>The enterprise of each of the person's connections, newest first (null: as an individual).</summary>
    private async Task<List<string?>> HistoryAsync(string username)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var personId = await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
        return await db.ConnectionHistory.Where(c => c.PersonId == personId).OrderByDescending(c => c.Id).Select(c => c.EnterpriseId).ToListAsync();
    }

    private static string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetInt32(10).ToString(System.Globalization.CultureInfo.InvariantCulture)));
}

public sealed class SqliteActingForTests(SqliteHub hub) : ActingForTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresActingForTests(PostgresHub hub) : ActingForTests(hub), IClassFixture<PostgresHub>;
