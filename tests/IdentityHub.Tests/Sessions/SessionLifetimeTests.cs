using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Sessions;

/// <summary>
/// A hub session ends after <c>Hub:Sessions:IdleMinutes</c> without use and <c>Hub:Sessions:AbsoluteHours</c> after the
/// authentication, whatever its use: <c>prompt=none</c> then answers <c>login_required</c>.
/// </summary>
public sealed class SessionLifetimeTests
{
    [Fact]
    public async Task Session_UsedWithinItsIdleTime_Lasts_AndIdleLongerEnds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:Sessions:IdleMinutes"] = "30" }, time);
        using var browser = hub.CreateBrowser();
        Assert.True((await OidcClient.Demo().LoginAsync(browser)).ContainsKey("code"));

        foreach (var minutes in new[] { 29, 29, 29 })
        {
            time.Advance(TimeSpan.FromMinutes(minutes));
            Assert.Equal("code", await SilentAsync(browser));
        }
        time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal("login_required", await SilentAsync(browser));
    }

    [Fact]
    public async Task Session_PastItsAbsoluteLifetime_Ends_HoweverOftenUsed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new()
        {
            ["Hub:Sessions:IdleMinutes"] = "30",
            ["Hub:Sessions:AbsoluteHours"] = "1",
        }, time);
        using var browser = hub.CreateBrowser();
        Assert.True((await OidcClient.Demo().LoginAsync(browser)).ContainsKey("code"));

        for (var used = 0; used < 2; used++)
        {
            time.Advance(TimeSpan.FromMinutes(25));
            Assert.Equal("code", await SilentAsync(browser));
        }
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal("login_required", await SilentAsync(browser));
    }

    [Theory]
    [InlineData("Hub:Sessions:IdleMinutes", "0")]
    [InlineData("Hub:Sessions:AbsoluteHours", "0")]
    public async Task Start_WithASessionLifetimeOutOfRange_FailsNamingIt(string setting, string value)
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { [setting] = value });
        var failure = Assert.ThrowsAny<Exception>(() => hub.CreateApiClient());
        Assert.Contains(setting.Split(':')[^1], failure.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A <c>prompt=none</c> request: <c>code</c> when the session let it through, else the error.</summary>
    private static async Task<string> SilentAsync(Browser browser)
    {
        var client = OidcClient.Demo();
        var answer = client.CallbackParameters(await browser.NavigateAsync(client.AuthorizeUrl(extra: new() { ["prompt"] = "none" })));
        return answer.TryGetValue("error", out var error) ? error : answer.ContainsKey("code") ? "code" : "neither";
    }
}
