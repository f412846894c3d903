using System.Net;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Registry;

/// <summary>
/// ASP.NET Core's rate limiter on the registry's forms: past the per-account or the per-address budget of a minute, the
/// answer is 429 with Retry-After and a page saying so, before any password is checked.
/// </summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task SignIn_PastTheAccountsBudget_Is429WithRetryAfter_WhileAnotherAccountStillSignsIn()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new()
        {
            ["Hub:Registry:RateLimits:PerAccountPerMinute"] = "3",
        });
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        for (var i = 0; i < 3; i++)
        {
            var allowed = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "Target.Person ", ["Input.Password"] = "wrong-password" });
            Assert.Equal(HttpStatusCode.OK, allowed.Status);
        }
        // The same account however it is typed: usernames are compared as the registry compares them.
        using var refused = await PostAsync(browser, signIn, "target.person");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("Too many attempts", html, StringComparison.Ordinal);

        var other = await OidcClient.Demo().LoginAsync(hub.CreateBrowser());
        Assert.True(other.ContainsKey("code"));
    }

    [Fact]
    public async Task RegistryForms_PastTheAddressBudget_Are429WithRetryAfter_AndReadsAreNotCounted()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new()
        {
            ["Hub:Registry:RateLimits:PerIpPerMinute"] = "4",
        });
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(signIn.Url)).Status);
            using var allowed = await PostAsync(browser, signIn, "someone." + i);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        using var refused = await PostAsync(browser, signIn, "someone.else");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("too_many_requests", html, StringComparison.Ordinal);

        // Reading the page and the rest of the hub are not limited.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(signIn.Url)).Status);
        using var discovery = await hub.CreateApiClient().GetAsync("/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostAsync(Browser browser, Browser.Page signIn, string username)
    {
        var fields = signIn.HiddenFields();
        fields["Input.Username"] = username;
        fields["Input.Password"] = "wrong-password";
        return await browser.Client.PostAsync(signIn.Url, new FormUrlEncodedContent(fields));
    }
}
