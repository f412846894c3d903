using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Sample;

/// <summary>
/// Two instances of the real sample service, as an agency would run them: the demo registration (<c>sample-service</c>,
/// sector <c>localhost</c>, explicit consent) and a second service of another sector registered through the admin API.
/// One password entry logs the person in to both; logging out of one logs them out of the other by back-channel.
/// </summary>
public sealed partial class TwoServicesTests
{
    [Fact]
    public async Task DemoServiceAndAServiceOfAnotherSector_OnePasswordEntry_AndLogoutFromOneEndsTheOtherByBackchannel()
    {
        var hubUrl = $"http://localhost:{Loopback.FreePort()}";
        await using var hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite), new()
        {
            ["Hub:Issuer"] = hubUrl + "/",
            ["urls"] = hubUrl,
            ["Hub:BackchannelLogout:PollInterval"] = "00:00:00.200",
        });
        hub.UseKestrel();
        hub.StartServer();
        using var admin = await HubFactory.AuthorizeAsAdminAsync(new HttpClient { BaseAddress = new Uri(hubUrl) });

        // The demo service, on a free port instead of 5090: its registration moved there, nothing else changed; the
        // sample runs with its defaults (client sample-service and its demo secret).
        var demoUrl = $"http://localhost:{Loopback.FreePort()}";
        var demoRegistration = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/v1/relying-parties/sample-service"))!;
        Assert.Equal("explicit", demoRegistration["consent"]!.GetValue<string>());
        demoRegistration["redirectUris"] = new JsonArray(demoUrl + "/signin-oidc");
        demoRegistration["postLogoutRedirectUris"] = new JsonArray(demoUrl + "/signout-callback-oidc");
        demoRegistration["backchannelLogoutUri"] = demoUrl + "/backchannel-logout";
        using (var moved = await admin.PutAsJsonAsync("/api/admin/v1/relying-parties/sample-service", demoRegistration))
        {
            Assert.True(moved.StatusCode == HttpStatusCode.OK, await moved.Content.ReadAsStringAsync());
        }
        await using var demo = Start(new() { ["Oidc:Authority"] = hubUrl, ["urls"] = demoUrl });

        // The second service: its own client id and sector, implicit consent. On the same host, another port, as
        // someone trying the demo would start it: cookies ignore the port, and each sample names its session cookie
        // after its client id.
        var taxUrl = $"http://localhost:{Loopback.FreePort()}";
        string taxSecret;
        using (var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId = "tax-portal",
            displayName = "Tax office (sample)",
            clientType = "confidential",
            redirectUris = new[] { taxUrl + "/signin-oidc" },
            postLogoutRedirectUris = new[] { taxUrl + "/signout-callback-oidc" },
            backchannelLogoutUri = taxUrl + "/backchannel-logout",
            allowedScopes = new[] { "openid", "profile", "birth", "email" },
            sectorIdentifier = "tax.example",
            consent = "implicit",
        }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            taxSecret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;
        }
        await using var tax = Start(new() { ["Oidc:Authority"] = hubUrl, ["Oidc:ClientId"] = "tax-portal", ["Oidc:ClientSecret"] = taxSecret, ["urls"] = taxUrl });

        using var browser = new LiveBrowser { AgreeToConsent = false };
        var signIn = await browser.NavigateAsync(demoUrl + "/login?lang=en");
        Assert.StartsWith(hubUrl + "/registry/signin", signIn.Url, StringComparison.Ordinal);
        var consent = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        // The demo service asks for explicit consent; the tax office (implicit) will not.
        Assert.True(consent.IsConsent, $"{(int)consent.Status} {consent.Url}");
        var demoProfile = await browser.SubmitAsync(consent, new() { ["decision"] = "continue" });
        Assert.True(demoProfile.Url == demoUrl + "/profile", $"{(int)demoProfile.Status} {demoProfile.Url}");

        // Single sign-on: no password asked, a subject of the other sector, the same hub session.
        var taxProfile = await browser.NavigateAsync(taxUrl + "/login?lang=en");
        Assert.True(taxProfile.Url == taxUrl + "/profile", $"{(int)taxProfile.Status} {taxProfile.Url}");
        Assert.NotEqual(Subject(demoProfile.Html), Subject(taxProfile.Html));
        Assert.Equal(Sid(demoProfile.Html), Sid(taxProfile.Html));

        // Both are in the person's connection history on /account, which the same hub session opens.
        var account = await browser.NavigateAsync(hubUrl + "/account?culture=en");
        Assert.Equal(hubUrl + "/account?culture=en", account.Url);
        var history = WebUtility.HtmlDecode(account.Html);
        Assert.Contains("<h3>Dịch vụ công mẫu</h3>", history, StringComparison.Ordinal);
        Assert.Contains("<h3>Tax office (sample)</h3>", history, StringComparison.Ordinal);

        // Logout at the demo service: its form, the hub's end-session endpoint, back to the service's home page.
        var home = await browser.SubmitAsync(demoProfile, []);
        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Equal(demoUrl + "/", home.Url);
        Assert.Contains("Log in with national ID", home.Html, StringComparison.Ordinal);

        // The tax office has been told by back-channel: its next page asks for a login, and the hub for a password.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        Browser.Page next;
        do
        {
            await Task.Delay(200);
            next = await browser.NavigateAsync(taxUrl + "/profile");
        }
        while (next.Url.StartsWith(taxUrl, StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.StartsWith(hubUrl + "/registry/signin", next.Url, StringComparison.Ordinal);
    }

    private static SampleServiceFactory Start(Dictionary<string, string?> settings)
    {
        // These services read no data provider's records (Sample/SampleDataSharingTests does).
        settings.TryAdd("Oidc:DataResource", "");
        var service = new SampleServiceFactory(settings);
        service.UseKestrel();
        service.StartServer();
        return service;
    }

    private static string Subject(string html) => SubjectCode().Match(html) is { Success: true } m
        ? m.Groups["sub"].Value : throw new InvalidOperationException("No subject on the profile page.");

    private static string Sid(string html) => SidClaim().Match(html) is { Success: true } m
        ? m.Groups["sid"].Value : throw new InvalidOperationException("No sid on the profile page.");

    [GeneratedRegex("<dt>Subject \\(sub\\)</dt>\\s*<dd><code>(?<sub>[^<]+)</code>")]
    private static partial Regex SubjectCode();

    [GeneratedRegex("<tr><td><code>sid</code></td><td>(?<sid>[^<]+)</td></tr>")]
    private static partial Regex SidClaim();
}
