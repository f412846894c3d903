using System.Net;
using System.Text.RegularExpressions;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// The real sample service (Microsoft's OpenID Connect handler) logs the demo citizen in through the mock
/// upstream source, then through the registry: the same person, the same sub.
/// </summary>
public sealed partial class SampleServiceFederationTests(FederationFixture fixture) : IClassFixture<FederationFixture>
{
    [Fact]
    public async Task SampleService_ThroughUpstreamAndThroughRegistry_SeesTheSamePersonWithTheSameSub()
    {
        await using var service = await SampleServiceFactory.StartAsync(fixture.Hub, fixture.HubUrl, "sample-federation");
        var serviceUrl = service.Url;

        string viaBank;
        using (var browser = new LiveBrowser())
        {
            var chooser = await browser.NavigateAsync(serviceUrl + "/login?lang=en");
            var bank = await browser.NavigateAsync(fixture.HubUrl + SourceUrl(chooser.Html, "Mock Bank"));
            var profile = await browser.SubmitAsync(bank, new() { ["person"] = "an.nguyen", ["decision"] = "signin" });
            Assert.Equal(HttpStatusCode.OK, profile.Status);
            Assert.Equal(serviceUrl + "/profile", profile.Url);
            Assert.Contains("mock-bank", profile.Html, StringComparison.Ordinal);
            Assert.Contains("eidas2", profile.Html, StringComparison.Ordinal);
            viaBank = Subject(profile.Html);
        }
        using (var browser = new LiveBrowser())
        {
            var chooser = await browser.NavigateAsync(serviceUrl + "/login?lang=en");
            var signIn = await browser.NavigateAsync(fixture.HubUrl + SourceUrl(chooser.Html, "dân cư"));
            var profile = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
            Assert.Equal(serviceUrl + "/profile", profile.Url);
            Assert.Contains("registry", profile.Html, StringComparison.Ordinal);
            Assert.Equal(viaBank, Subject(profile.Html));
        }
    }

    private static string SourceUrl(string html, string nameContains) =>
        WebUtility.HtmlDecode(SourceLink().Matches(html).First(m => WebUtility.HtmlDecode(m.Groups["name"].Value).Contains(nameContains, StringComparison.Ordinal)).Groups["url"].Value);

    private static string Subject(string html) => SubjectCode().Match(html).Groups["sub"].Value is { Length: 43 } sub
        ? sub : throw new InvalidOperationException("No subject on the profile page.");

    [GeneratedRegex("<a class=\"source\" href=\"(?<url>[^\"]+)\">(?<name>[^<]+)</a>")]
    private static partial Regex SourceLink();

    [GeneratedRegex("<dt>Subject \\(sub\\)</dt>\\s*<dd><code>(?<sub>[^<]+)</code>")]
    private static partial Regex SubjectCode();
}
