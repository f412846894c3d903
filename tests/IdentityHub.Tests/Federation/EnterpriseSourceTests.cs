using System.Net;
using System.Text.RegularExpressions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using MockIdentityProvider;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// Representation asserted by an identity source (docs/integration.md, "Enterprises"): believed from a source registered
/// for enterprises, through its claim mappings, and named in <c>enterprise_source</c>; ignored from a source for
/// individuals, even when it sends the very same claims.
/// </summary>
public abstract partial class FederationTestsOn
{
    private const string EnterpriseScope = "openid profile enterprise";

    [Fact]
    public async Task RepresentationAssertedByAnEnterpriseSource_IsOffered_AndTheSameClaimsFromAnIndividualsSource_AreIgnored()
    {
        var hoa = TestPeople.HoaDangForBusiness;
        await using var portal = await BusinessPortalAsync("mock-business", "Mock Business Portal");
        var client = await fixture.RegisterServiceAsync("enterprise-claims", scopes: ["openid", "profile", "enterprise"]);

        // mock-bank is registered for individuals and sends enterprise_id under its standard name: not believed.
        using (var browser = new LiveBrowser())
        {
            var acting = await ThroughSourceAsync(browser, client, "mock-bank", fixture.Bank.Url, hoa.Username);
            var html = WebUtility.HtmlDecode(acting.Html);
            Assert.Contains("record no enterprise that you represent", html, StringComparison.Ordinal);
            Assert.DoesNotContain(hoa.Claims["enterprise_name"], html, StringComparison.Ordinal);
            Assert.DoesNotContain(hoa.Claims["enterprise_id"], html, StringComparison.Ordinal);
            var token = await RedeemAsync(client, await ChooseAsync(browser, client, acting, "individual"));
            Assert.False(token.TryGetClaim("enterprise_id", out _));
            Assert.False(token.TryGetClaim("enterprise_source", out _));
        }

        // The business portal is registered for enterprises and maps its own claim names: believed, and named.
        using (var browser = new LiveBrowser())
        {
            var acting = await ThroughSourceAsync(browser, client, "mock-business", portal.Url, hoa.Username);
            var html = WebUtility.HtmlDecode(acting.Html);
            Assert.Contains($">{hoa.Claims["enterprise_name"]}</label>", html, StringComparison.Ordinal);
            Assert.Contains($"Tax code {hoa.Claims["enterprise_id"]}, as branch_director", html, StringComparison.Ordinal);
            var token = await RedeemAsync(client, await ChooseAsync(browser, client, acting, hoa.Claims["enterprise_id"]));
            Assert.Equal("3301234567-002", token.GetClaim("enterprise_id").Value);
            Assert.Equal(hoa.Claims["enterprise_name"], token.GetClaim("enterprise_name").Value);
            Assert.Equal("branch_director", token.GetClaim("enterprise_role").Value);
            Assert.Equal("mock-business", token.GetClaim("enterprise_source").Value);
            Assert.Equal("Hoa", token.GetClaim("given_name").Value);
        }
    }

    [Fact]
    public async Task EnterpriseOnlyService_IsOfferedOnlySourcesThatAuthenticateRepresentatives()
    {
        await using var portal = await BusinessPortalAsync("mock-chamber", "Mock Chamber of Commerce");
        var client = await fixture.RegisterServiceAsync("enterprise-only", scopes: ["openid", "profile", "enterprise"], enterpriseOnly: true);
        using var browser = new LiveBrowser();

        var chooser = await browser.NavigateAsync(Hub + client.AuthorizeUrl("openid profile"));
        var offered = Sources(chooser.Html).Select(s => s.Name).ToList();
        Assert.Contains("Mock Chamber of Commerce", offered);
        // The demo registry records representatives (demo.director), so it can authenticate one.
        Assert.Contains(offered, name => name.Contains("dân cư", StringComparison.Ordinal));
        Assert.DoesNotContain("Mock Bank", offered);
        Assert.DoesNotContain("Mock Low", offered);
        // Naming a source for individuals does not get around it: the chooser says so and offers the others.
        var hinted = await browser.NavigateAsync(Hub + client.AuthorizeUrl("openid profile", new() { ["idp_hint"] = "mock-bank" }));
        Assert.StartsWith(Hub, hinted.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("Mock Bank", Sources(hinted.Html).Select(s => s.Name));

        // Through the portal the person acts for the enterprise it vouched for, and only for it.
        // It did not ask for the enterprise scope: registered for it, it gets the claims all the same.
        var acting = await ThroughSourceAsync(browser, client, "mock-chamber", portal.Url, TestPeople.HoaDangForBusiness.Username, scope: "openid profile");
        Assert.DoesNotContain("value=\"individual\"", acting.Html, StringComparison.Ordinal);
        var token = await RedeemAsync(client, await ChooseAsync(browser, client, acting, "3301234567-002"));
        Assert.Equal("3301234567-002", token.GetClaim("enterprise_id").Value);
        Assert.Equal("mock-chamber", token.GetClaim("enterprise_source").Value);
    }

    /// <summary>A business portal's provider: its own mock, its own claim names, registered for enterprises.</summary>
    private async Task<MockBank> BusinessPortalAsync(string id, string displayName)
    {
        var portal = new MockBank(Hub, [id], new() { ["Mock:ClaimNames"] = "Custom", ["Mock:DisplayName"] = displayName });
        // The mock's own names for every claim, enterprise ones included, mapped to the hub's.
        await fixture.RegisterSourceAsync(id, displayName, portal.Url, "eidas2", new(ClaimNames.Custom), subjects: "enterprises");
        return portal;
    }

    /// <summary>Logs <paramref name="person"/> in at the source and returns the hub's acting-for page that follows.</summary>
    private async Task<Browser.Page> ThroughSourceAsync(LiveBrowser browser, OidcClient client, string source, string sourceUrl, string person, string scope = EnterpriseScope)
    {
        var atSource = await browser.NavigateAsync(Hub + client.AuthorizeUrl(scope, new() { ["idp_hint"] = source }));
        Assert.True(atSource.Url.StartsWith(sourceUrl, StringComparison.Ordinal), $"Expected the source's page, got {atSource.Url}");
        var acting = await browser.SubmitAsync(atSource, new() { ["person"] = person, ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        Assert.True(acting.Url.Contains("/acting-for/", StringComparison.Ordinal), $"{(int)acting.Status} {acting.Url}");
        return acting;
    }

    private static async Task<string> ChooseAsync(LiveBrowser browser, OidcClient client, Browser.Page acting, string choice)
    {
        var back = await browser.SubmitAsync(acting, new() { ["choice"] = choice }, stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        return client.CallbackParameters(back)["code"];
    }
}
