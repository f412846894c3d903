using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Tests.Account;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Sample;

/// <summary>
/// The demo of data sharing, through the real processes over loopback (CONTRACT sections 7 and 8): the sample service
/// logs the demo citizen in with the tax office's scope and resource, the person agrees, the service fetches the
/// declared income from the sample data provider, which introspects the token at the hub; the person sees the release
/// on /account, withdraws the consent, and the next fetch is refused.
/// </summary>
public sealed class SampleDataSharingTests
{
    [Fact]
    public async Task TheServiceShowsTheDeclaredIncome_ThePersonSeesTheRelease_AndAfterWithdrawalTheFetchIsRefused()
    {
        var hubUrl = $"http://localhost:{Loopback.FreePort()}";
        await using var hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite), new() { ["Hub:Issuer"] = hubUrl + "/", ["urls"] = hubUrl });
        hub.UseKestrel();
        hub.StartServer();

        // The tax office of the demo, on a port of its own: registered through the admin API, entitled to the identity number.
        var providerUrl = $"http://localhost:{Loopback.FreePort()}";
        var id = "tax-" + Guid.NewGuid().ToString("N")[..6];
        var scope = "income_" + id[4..];
        string secret;
        using (var admin = await HubFactory.AuthorizeAsAdminAsync(new HttpClient { BaseAddress = new Uri(hubUrl) }))
        {
            using var created = await admin.PostAsJsonAsync("/api/admin/v1/data-providers", new
            {
                id,
                displayName = "Tax office (test)",
                resource = providerUrl,
                scopes = new[] { new { name = scope, description = new { vi = "Thu nhập đã khai", en = "Declared income", fr = "Revenus déclarés" } } },
                subjectIdentifier = "identity_number",
            });
            var body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, body);
            secret = JsonDocument.Parse(body).RootElement.GetProperty("clientSecret").GetString()!;
        }
        await using var provider = SampleDataProviderFactory.Start(hubUrl, id, secret, scope, providerUrl);
        await using var service = await SampleServiceFactory.StartAsync(hub, hubUrl, "sample-data", dataScopes: [scope], settings: new()
        {
            ["Oidc:DataResource"] = providerUrl,
            ["Oidc:DataScope"] = scope,
            ["Oidc:DataUrl"] = providerUrl + "/declared-income",
        });

        using var browser = new LiveBrowser { AgreeToConsent = false };
        var signIn = await browser.NavigateAsync(service.Url + "/login?lang=en");
        Assert.Contains("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var consent = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        Assert.True(consent.IsConsent, $"{(int)consent.Status} {consent.Url}");
        Assert.Contains("Tax office (test) will share with Sample service (test):", WebUtility.HtmlDecode(consent.Html), StringComparison.Ordinal);
        Assert.Contains(">Declared income</li>", consent.Html, StringComparison.Ordinal);

        var profile = await browser.SubmitAsync(consent, new() { ["decision"] = "continue" });
        Assert.Equal(service.Url + "/profile", profile.Url);
        var html = WebUtility.HtmlDecode(profile.Html);
        Assert.Contains("Your declared income, from the tax office", html, StringComparison.Ordinal);
        Assert.Contains("186,400,000 VND", html, StringComparison.Ordinal);
        // The service still knows who logged in, from the ID token.
        Assert.Contains("Nguyễn Văn", html, StringComparison.Ordinal);

        var account = await browser.NavigateAsync(hubUrl + "/account?culture=en");
        var dashboard = WebUtility.HtmlDecode(account.Html);
        Assert.Contains("Data shared between agencies", dashboard, StringComparison.Ordinal);
        Assert.Contains("Tax office (test) shared Declared income with Sample service (test)", dashboard, StringComparison.Ordinal);
        Assert.Contains("Declared income, from Tax office (test)", dashboard, StringComparison.Ordinal);

        var after = await browser.SubmitAsync(AccountClients.FormOf(account, "Withdraw"), []);
        Assert.Contains("/account?notice=consent-withdrawn", after.Url, StringComparison.Ordinal);
        var refused = WebUtility.HtmlDecode((await browser.NavigateAsync(service.Url + "/profile")).Html);
        Assert.Contains("The tax office refused to share your declared income", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("186,400,000 VND", refused, StringComparison.Ordinal);
    }
}
