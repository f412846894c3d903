using System.Net;
using System.Net.Sockets;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SampleRelyingParty;

namespace IdentityHub.Tests.Sample;

/// <summary>
/// The real sample service, with Microsoft's OpenID Connect handler, logs a person in against the real hub,
/// both on Kestrel over loopback HTTP: discovery, PKCE, state, nonce, code exchange and userinfo as an agency's
/// service does them.
/// </summary>
public sealed class SampleServiceLoginTests
{
    [Fact]
    public async Task SampleService_LogsInTheDemoCitizenThroughTheHub_AndShowsTheirClaims()
    {
        var hubPort = Loopback.FreePort();
        var hubUrl = $"http://localhost:{hubPort}";

        await using var hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite), new() { ["Hub:Issuer"] = hubUrl + "/", ["urls"] = hubUrl });
        hub.UseKestrel();
        hub.StartServer();

        await using var service = await SampleServiceFactory.StartAsync(hub, hubUrl, "sample-e2e");
        var serviceUrl = service.Url;

        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true });
        var home = await browser.GetStringAsync(serviceUrl + "/");
        Assert.Contains("Log in with national ID", home, StringComparison.Ordinal);

        using var signIn = await browser.GetAsync(serviceUrl + "/login?lang=en");
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.StartsWith(hubUrl + "/registry/signin", signIn.RequestMessage!.RequestUri!.AbsoluteUri, StringComparison.Ordinal);
        var page = await Browser.Page.ReadAsync(signIn);
        var fields = page.HiddenFields();
        fields["Input.Username"] = "demo.citizen";
        fields["Input.Password"] = "Demo-Passw0rd!";

        using var consent = await browser.PostAsync(signIn.RequestMessage.RequestUri, new FormUrlEncodedContent(fields));
        using var profile = await Browser.AgreeAsync(browser, consent);
        var html = await profile.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Equal(serviceUrl + "/profile", profile.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Contains("Who logged in", html, StringComparison.Ordinal);
        Assert.Contains("eidas1", html, StringComparison.Ordinal);
        Assert.Contains("registry", html, StringComparison.Ordinal);
        Assert.Contains("Nguyễn Văn", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.Contains("01001", html, StringComparison.Ordinal);
        // The page lists every claim the service received: none of the hub's own internals (docs/design.md, "Scopes and claims").
        Assert.Contains("<code>sid</code>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("oi_", html, StringComparison.Ordinal);
        Assert.DoesNotContain("hub_", html, StringComparison.Ordinal);
        Assert.Contains("yourself, as an individual", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SampleService_LogsTheDemoDirectorInForHerCompany_AndShowsTheEnterpriseClaims()
    {
        var hubUrl = $"http://localhost:{Loopback.FreePort()}";
        await using var hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite), new() { ["Hub:Issuer"] = hubUrl + "/", ["urls"] = hubUrl });
        hub.UseKestrel();
        hub.StartServer();
        await using var service = await SampleServiceFactory.StartAsync(hub, hubUrl, "sample-company");
        using var browser = new LiveBrowser { AgreeToConsent = false };

        var home = await browser.NavigateAsync(service.Url + "/");
        Assert.Contains("Log in for my company", home.Html, StringComparison.Ordinal);
        var signIn = await browser.NavigateAsync(service.Url + "/login?for=company&lang=en");
        Assert.Contains("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var acting = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.director", ["Input.Password"] = "Demo-Passw0rd!" });
        Assert.Contains("/acting-for/", acting.Url, StringComparison.Ordinal);
        Assert.Contains(">Công ty TNHH Mẫu Việt</label>", WebUtility.HtmlDecode(acting.Html), StringComparison.Ordinal);

        var consent = await browser.SubmitAsync(acting, new() { ["choice"] = "0101234567" });
        Assert.True(consent.IsConsent, $"{(int)consent.Status} {consent.Url}");
        Assert.Contains("You are acting for Công ty TNHH Mẫu Việt.", WebUtility.HtmlDecode(consent.Html), StringComparison.Ordinal);
        var profile = await browser.SubmitAsync(consent, new() { ["decision"] = "continue" });

        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal(service.Url + "/profile", profile.Url);
        var html = WebUtility.HtmlDecode(profile.Html);
        Assert.Contains("Công ty TNHH Mẫu Việt (tax code 0101234567, legal_representative; vouched for by registry)", html, StringComparison.Ordinal);
        foreach (var claim in new[] { "enterprise_id", "enterprise_name", "enterprise_role", "enterprise_source" })
        {
            Assert.Contains($"<code>{claim}</code>", html, StringComparison.Ordinal);
        }
    }
}
