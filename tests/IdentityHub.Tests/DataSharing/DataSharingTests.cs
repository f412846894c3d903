using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdentityHub.Audit;
using IdentityHub.Consent;
using IdentityHub.Data;
using IdentityHub.Protocol;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;

namespace IdentityHub.Tests.DataSharing;

/// <summary>
/// Data sharing between agencies (CONTRACT section 8, docs/integration.md "Data providers"): a service asks for a
/// provider's scope with <c>resource</c>, the person agrees, the access token is for that provider only, and the
/// provider learns at introspection what it is entitled to; every answer is a release on record.
/// </summary>
public abstract class DataSharingTests(HubFactory hub)
{
    [Fact]
    public async Task AnImplicitService_StillAsksConsent_ThenTheProviderLearnsTheConsentedScope_WithItsOwnSubject_AndTheReleaseIsRecorded()
    {
        var provider = await Provider.RegisterAsync(hub, "pairwise");
        var service = await ServiceAsync([provider.Scope], ConsentMode.Implicit);
        var username = await RegistryPeople.InsertAsync(hub, "share");
        using var browser = hub.CreateBrowser(agreeToConsent: false);

        var consent = await SignInAsync(browser, username, service.AuthorizeUrl($"openid profile {provider.Scope}", new() { ["resource"] = provider.Resource }));
        Assert.True(consent.IsConsent, $"{(int)consent.Status} {consent.Url} {consent.Html}");
        var html = WebUtility.HtmlDecode(consent.Html);
        Assert.Contains($"{provider.Name} will share with Data service:", html, StringComparison.Ordinal);
        Assert.Contains(">Declared income (test)</li>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(provider.Scope, html, StringComparison.Ordinal);

        using var http = hub.CreateApiClient();
        var code = service.CallbackParameters(await browser.SubmitAsync(consent, new() { ["decision"] = "continue" }))["code"];
        var tokens = await service.TokenAsync(http, Redeem(service, code, provider.Resource));
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var token = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(new[] { provider.Resource }, token.Audiences);
        Assert.Equal(provider.Scope, token.GetClaim("scope").Value);
        Assert.True(token.ValidTo - token.IssuedAt <= DataAccess.Lifetime, $"{token.IssuedAt} → {token.ValidTo}");
        foreach (var personal in new[] { "given_name", "family_name", "birthdate", "identity_number", "email" })
        {
            Assert.False(token.TryGetClaim(personal, out _), personal);
        }
        // The provider's subject is of its own sector: not the service's, which the ID token carries.
        Assert.NotEqual(tokens.IdTokenJwt.Subject, token.Subject);

        var answer = await provider.IntrospectAsync(http, tokens.AccessToken);
        Assert.True(answer.GetProperty("active").GetBoolean(), answer.ToString());
        Assert.Equal(provider.Scope, answer.GetProperty("scope").GetString());
        Assert.Equal(service.ClientId, answer.GetProperty("client_id").GetString());
        Assert.Equal(token.Subject, answer.GetProperty("sub").GetString());
        Assert.Equal(provider.Resource, Audiences(answer).Single());
        Assert.True(answer.TryGetProperty("exp", out _));
        Assert.False(answer.TryGetProperty("identity_number", out _));

        // Nobody else learns anything of it: the service itself, another provider; and the hub's userinfo refuses it.
        var other = await Provider.RegisterAsync(hub, "pairwise");
        Assert.False((await other.IntrospectAsync(http, tokens.AccessToken)).GetProperty("active").GetBoolean());
        Assert.False((await IntrospectAsync(http, service, tokens.AccessToken)).GetProperty("active").GetBoolean());
        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo"))
        {
            userinfo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
            using var refused = await http.SendAsync(userinfo);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var personId = await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
        var release = Assert.Single(await db.DataReleases.Where(r => r.PersonId == personId).ToListAsync());
        Assert.Equal((provider.Id, service.ClientId, provider.Scope), (release.ProviderId, release.ClientId, release.Scopes));
        var audited = Assert.Single(await db.AuditEvents.Where(e => e.Type == AuditTypes.DataReleased && e.Subject == AuditEntry.Person(personId)).ToListAsync());
        Assert.Equal((AuditEntry.ClientRef(provider.Id), service.ClientId), (audited.Actor, audited.Client));

        // The person sees it on their dashboard, in their language.
        var account = await browser.NavigateAsync("/account?culture=en");
        Assert.Contains($"{provider.Name} shared Declared income (test) with Data service", WebUtility.HtmlDecode(account.Html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProviderEntitledToTheIdentityNumber_GetsItInsteadOfSub_APairwiseProviderNever()
    {
        var entitled = await Provider.RegisterAsync(hub, "identity_number");
        var pairwise = await Provider.RegisterAsync(hub, "pairwise");
        var service = await ServiceAsync([entitled.Scope, pairwise.Scope], ConsentMode.Explicit);
        var username = await RegistryPeople.InsertAsync(hub, "share");
        var identityNumber = "0" + Random.Shared.NextInt64(10_000_000_000, 99_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var personId = await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
            var person = await db.People.SingleAsync(p => p.Id == personId);
            person.IdentityNumber = identityNumber;
            await db.SaveChangesAsync();
        }
        using var browser = hub.CreateBrowser();
        var url = service.AuthorizeUrl($"openid {entitled.Scope} {pairwise.Scope} offline_access", new() { ["resource"] = entitled.Resource });
        var both = url + "&resource=" + Uri.EscapeDataString(pairwise.Resource);
        var callback = await service.LoginAsync(browser, username, url: both);
        Assert.True(callback.ContainsKey("code"), string.Join(", ", callback.Select(p => $"{p.Key}={p.Value}")));
        var code = callback["code"];
        using var http = hub.CreateApiClient();
        var first = await service.TokenAsync(http, Redeem(service, code, entitled.Resource));
        Assert.Equal(HttpStatusCode.OK, first.Status);

        var answer = await entitled.IntrospectAsync(http, first.AccessToken);
        Assert.True(answer.GetProperty("active").GetBoolean(), answer.ToString());
        Assert.Equal(identityNumber, answer.GetProperty("identity_number").GetString());
        Assert.False(answer.TryGetProperty("sub", out _));
        Assert.Equal(entitled.Scope, answer.GetProperty("scope").GetString());

        // The refresh token gets a token for the other provider of the grant: pairwise, it never sees the number.
        var second = await service.TokenAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first.RefreshToken, ["resource"] = pairwise.Resource });
        Assert.Equal(HttpStatusCode.OK, second.Status);
        var told = await pairwise.IntrospectAsync(http, second.AccessToken);
        Assert.True(told.GetProperty("active").GetBoolean(), told.ToString());
        Assert.Equal(pairwise.Scope, told.GetProperty("scope").GetString());
        Assert.False(told.TryGetProperty("identity_number", out _));
        Assert.DoesNotContain(identityNumber, told.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(identityNumber, Encoding.UTF8.GetString(Convert.FromBase64String(PadBase64(second.AccessToken.Split('.')[1]))), StringComparison.Ordinal);
        // Each token is its own provider's: the first provider learns nothing of the second token.
        Assert.False((await entitled.IntrospectAsync(http, second.AccessToken)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task WrongAudience_UnknownResource_AndAScopeWithoutItsResource_AreRefused()
    {
        var provider = await Provider.RegisterAsync(hub, "pairwise");
        var elsewhere = await Provider.RegisterAsync(hub, "pairwise");
        var service = await ServiceAsync([provider.Scope], ConsentMode.Explicit);
        var username = await RegistryPeople.InsertAsync(hub, "share");
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();

        // A data scope without its resource, an unregistered resource, a resource without any of its scopes.
        await SignInAsync(browser, username, service.AuthorizeUrl("openid"));
        Assert.Equal("invalid_scope", Error(await browser.NavigateAsync(service.AuthorizeUrl($"openid {provider.Scope}"))));
        Assert.Equal("invalid_target", Error(await browser.NavigateAsync(service.AuthorizeUrl($"openid {provider.Scope}",
            new() { ["resource"] = provider.Resource + "/other" }))));
        Assert.Equal("invalid_target", Error(await browser.NavigateAsync(service.AuthorizeUrl("openid", new() { ["resource"] = provider.Resource }))));
        // A scope of a provider the service is not allowed.
        Assert.Equal("invalid_scope", Error(await browser.NavigateAsync(service.AuthorizeUrl($"openid {elsewhere.Scope}", new() { ["resource"] = elsewhere.Resource }))));

        // The ordinary access token of the same grant has no audience and no data scope: the provider learns nothing.
        var code = service.CallbackParameters(await browser.NavigateAsync(service.AuthorizeUrl($"openid {provider.Scope} offline_access",
            new() { ["resource"] = provider.Resource })))["code"];
        var plain = await service.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.OK, plain.Status);
        Assert.Empty(new JsonWebToken(plain.AccessToken).Audiences);
        Assert.DoesNotContain(provider.Scope, plain.Get("scope") ?? "", StringComparison.Ordinal);
        Assert.False((await provider.IntrospectAsync(http, plain.AccessToken)).GetProperty("active").GetBoolean());

        // A resource the grant does not cover, and two at once, are refused at the token endpoint.
        Assert.Equal("invalid_target", (await service.TokenAsync(http, new()
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = plain.RefreshToken,
            ["resource"] = elsewhere.Resource,
        })).Error);
        var data = await service.TokenAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = plain.RefreshToken, ["resource"] = provider.Resource });
        Assert.Equal(HttpStatusCode.OK, data.Status);
        Assert.True((await provider.IntrospectAsync(http, data.AccessToken)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task OnlyTheConsentedScopeIsReleased_AndDecliningReleasesNothing()
    {
        var provider = await Provider.RegisterAsync(hub, "pairwise", extraScope: true);
        var service = await ServiceAsync([provider.Scope, provider.Scope + "_extra"], ConsentMode.Explicit);
        var username = await RegistryPeople.InsertAsync(hub, "share");
        using var browser = hub.CreateBrowser(agreeToConsent: false);
        using var http = hub.CreateApiClient();

        var declined = await SignInAsync(browser, username, service.AuthorizeUrl($"openid {provider.Scope}", new() { ["resource"] = provider.Resource }));
        Assert.True(declined.IsConsent);
        Assert.Equal("access_denied", service.CallbackParameters(await browser.SubmitAsync(declined, new() { ["decision"] = "cancel" }))["error"]);

        var asked = await browser.NavigateAsync(service.AuthorizeUrl($"openid {provider.Scope}", new() { ["resource"] = provider.Resource }));
        Assert.True(asked.IsConsent);
        Assert.DoesNotContain("Other data (test)", WebUtility.HtmlDecode(asked.Html), StringComparison.Ordinal);
        var code = service.CallbackParameters(await browser.SubmitAsync(asked, new() { ["decision"] = "continue" }))["code"];
        var tokens = await service.TokenAsync(http, Redeem(service, code, provider.Resource));
        var answer = await provider.IntrospectAsync(http, tokens.AccessToken);
        Assert.Equal(provider.Scope, answer.GetProperty("scope").GetString());

        // The other scope needs its own agreement.
        Assert.True((await browser.NavigateAsync(service.AuthorizeUrl($"openid {provider.Scope}_extra", new() { ["resource"] = provider.Resource }))).IsConsent);
    }

    [Fact]
    public async Task WithdrawingTheConsent_TurnsTheProvidersTokenInactiveAtOnce()
    {
        var provider = await Provider.RegisterAsync(hub, "pairwise");
        var service = await ServiceAsync([provider.Scope], ConsentMode.Explicit);
        var username = await RegistryPeople.InsertAsync(hub, "share");
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var code = (await service.LoginAsync(browser, username, url: service.AuthorizeUrl($"openid {provider.Scope}", new() { ["resource"] = provider.Resource })))["code"];
        var tokens = await service.TokenAsync(http, Redeem(service, code, provider.Resource));
        Assert.True((await provider.IntrospectAsync(http, tokens.AccessToken)).GetProperty("active").GetBoolean());

        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var personId = await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
            var consents = scope.ServiceProvider.GetRequiredService<Consents>();
            var given = Assert.Single(await consents.ListAsync(personId, CancellationToken.None));
            Assert.Contains(provider.Scope, given.Items);
            Assert.True(await consents.WithdrawAsync(personId, given.Id, CancellationToken.None));
        }
        Assert.False((await provider.IntrospectAsync(http, tokens.AccessToken)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task TheProvidersToken_ExpiresWithinFiveMinutes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var timed = await HubFactory.CreateAsync(hub.Database, time: time);
        var provider = await Provider.RegisterAsync(timed, "pairwise");
        var service = await ServiceAsync([provider.Scope], ConsentMode.Explicit, timed);
        var username = await RegistryPeople.InsertAsync(timed, "share");
        using var browser = timed.CreateBrowser();
        using var http = timed.CreateApiClient();
        var code = (await service.LoginAsync(browser, username, url: service.AuthorizeUrl($"openid {provider.Scope}", new() { ["resource"] = provider.Resource })))["code"];
        var tokens = await service.TokenAsync(http, Redeem(service, code, provider.Resource));
        Assert.Equal(HttpStatusCode.OK, tokens.Status);

        time.Advance(DataAccess.Lifetime - TimeSpan.FromSeconds(5));
        Assert.True((await provider.IntrospectAsync(http, tokens.AccessToken)).GetProperty("active").GetBoolean());
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False((await provider.IntrospectAsync(http, tokens.AccessToken)).GetProperty("active").GetBoolean());
    }

    private static Dictionary<string, string> Redeem(OidcClient service, string code, string resource) => new()
    {
        ["grant_type"] = "authorization_code",
        ["code"] = code,
        ["redirect_uri"] = service.RedirectUri,
        ["code_verifier"] = service.Verifier,
        ["resource"] = resource,
    };

    private async Task<OidcClient> ServiceAsync(IEnumerable<string> dataScopes, ConsentMode consent, HubFactory? on = null)
    {
        var clientId = "data-service-" + Guid.NewGuid().ToString("N")[..6];
        var client = new OidcClient(clientId, clientId + "-secret-0123456789abcdef", "https://data-service.example/signin-oidc");
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = clientId + "-secret-0123456789abcdef",
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = "Data service",
            RedirectUris = { new Uri(client.RedirectUri) },
        };
        descriptor.Permissions.UnionWith(["ept:authorization", "ept:token", "ept:introspection", "gt:authorization_code", "gt:refresh_token", "rst:code",
            "scp:profile", "scp:offline_access", .. dataScopes.Select(s => "scp:" + s)]);
        await (on ?? hub).RegisterClientAsync(descriptor, "data-service.example", consent);
        return client;
    }

    private static async Task<Browser.Page> SignInAsync(Browser browser, string username, string url)
    {
        var signIn = await browser.NavigateAsync(url);
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        return await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" });
    }

    /// <summary>The OAuth error a refused authorization request ends with: sent back to the service, or shown on the hub's error page.</summary>
    private static string Error(Browser.Page page) => page.IsRedirect && page.Location!.Contains("error=", StringComparison.Ordinal)
        ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(page.Location).Query)["error"].ToString()
        : System.Text.RegularExpressions.Regex.Match(page.Html, "(invalid_[a-z_]+)").Groups[1].Value;

    private static async Task<JsonElement> IntrospectAsync(HttpClient http, OidcClient service, string token)
    {
        using var response = await service.PostAsync(http, "/connect/introspect", new() { ["token"] = token });
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static IEnumerable<string> Audiences(JsonElement answer) => answer.GetProperty("aud") is { ValueKind: JsonValueKind.Array } array
        ? array.EnumerateArray().Select(a => a.GetString()!) : [answer.GetProperty("aud").GetString()!];

    private static string PadBase64(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=');
    }

    /// <summary>A data provider registered through the admin API, with the secret it introspects with.</summary>
    internal sealed record Provider(string Id, string Name, string Resource, string Scope, string Secret)
    {
        public static async Task<Provider> RegisterAsync(HubFactory hub, string subjectIdentifier, bool extraScope = false)
        {
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var id = "agency-" + suffix;
            var scope = "income_" + suffix;
            var resource = $"https://{id}.example/api";
            List<object> scopes = [new { name = scope, description = new { vi = "Thu nhập đã khai (thử)", en = "Declared income (test)", fr = "Revenus déclarés (test)" } }];
            if (extraScope)
            {
                scopes.Add(new { name = scope + "_extra", description = new { vi = "Dữ liệu khác (thử)", en = "Other data (test)", fr = "Autres données (test)" } });
            }
            using var admin = await hub.CreateAdminClientAsync();
            using var response = await admin.PostAsJsonAsync("/api/admin/v1/data-providers", new { id, displayName = "Agency " + suffix, resource, scopes, subjectIdentifier });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, body);
            var secret = JsonDocument.Parse(body).RootElement.GetProperty("clientSecret").GetString()!;
            return new Provider(id, "Agency " + suffix, resource, scope, secret);
        }

        public async Task<JsonElement> IntrospectAsync(HttpClient http, string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Id}:{Secret}")));
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }
}

public sealed class SqliteDataSharingTests(SqliteHub hub) : DataSharingTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresDataSharingTests(PostgresHub hub) : DataSharingTests(hub), IClassFixture<PostgresHub>;
