using System.Diagnostics;
using System.Net;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Registry;

/// <summary>
/// Five wrong passwords or codes in a row lock a username for 1, 5, 15, then 60 minutes, on every instance and for
/// unknown usernames alike; the forms are rate-limited per address and per account (429 with Retry-After); and a wrong
/// username costs what a wrong password costs.
/// </summary>
public sealed class AbuseResistanceTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private HubFactory _hub = null!;

    public async Task InitializeAsync() => _hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, time: _time);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Lock_GrowsFrom1To5To15To60Minutes_AndEndsOnItsOwn()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        foreach (var minutes in new[] { 1, 5, 15, 60, 60 })
        {
            var locked = await FailPasswordsAsync(person.Username, 5);
            Assert.Contains("locked", locked.Alert(), StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"{minutes} minute", locked.Alert(), StringComparison.Ordinal);

            // Still locked a second before the end, even with the right password; open again at the end.
            _time.Advance(TimeSpan.FromMinutes(minutes) - TimeSpan.FromSeconds(1));
            Assert.Contains("locked", (await SubmitPasswordAsync(person.Username, RegistryPeople.Password)).Alert(), StringComparison.OrdinalIgnoreCase);
            _time.Advance(TimeSpan.FromSeconds(2));
        }
        using var browser = _hub.CreateBrowser();
        var callback = await OidcClient.Demo().LoginAsync(browser, person.Username, RegistryPeople.Password);
        Assert.True(callback.ContainsKey("code"));

        // A complete login forgives: the next lock is short again.
        var again = await FailPasswordsAsync(person.Username, 5);
        Assert.Contains("1 minute", again.Alert(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lock_OfAnUnknownUsername_ReadsExactlyLikeAKnownOne()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        var known = await FailPasswordsAsync(person.Username, 5);
        var unknown = await FailPasswordsAsync("nobody." + Guid.NewGuid().ToString("N")[..8], 5);
        Assert.Equal(known.Alert(), unknown.Alert());
        Assert.Equal(known.Status, unknown.Status);
    }

    [Fact]
    public async Task WrongCodes_CountTowardsTheLock_AndAPasswordDoesNotForgiveThem()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        var secret = await EnrolAsync(person.Username);

        using var browser = _hub.CreateBrowser();
        var page = await RegistryPeople.Eidas2SignInAsync(browser, person.Username);
        for (var i = 0; i < 3; i++)
        {
            page = await browser.SubmitAsync(page, new() { ["Code"] = "000000" });
        }
        // A password login in between (eidas1) does not wipe out the wrong codes before it.
        Assert.True((await OidcClient.Demo().LoginAsync(_hub.CreateBrowser(), person.Username, RegistryPeople.Password)).ContainsKey("code"));
        page = await browser.SubmitAsync(page, new() { ["Code"] = "000000" });
        page = await browser.SubmitAsync(page, new() { ["Code"] = "000000" });
        Assert.Contains("locked", page.Alert(), StringComparison.OrdinalIgnoreCase);

        // Locked: the right code is refused too, and so is the password.
        var right = await browser.SubmitAsync(page, new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow()) });
        Assert.Contains("locked", right.Alert(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("locked", (await SubmitPasswordAsync(person.Username, RegistryPeople.Password)).Alert(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AdminUnlock_EndsTheLock_AndRemovingSecondFactors_MakesTheNextEidas2LoginEnrol()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        await EnrolAsync(person.Username);
        await FailPasswordsAsync(person.Username, 5);
        using var admin = await _hub.CreateAdminClientAsync();

        using (var unlocked = await admin.PostAsync($"/api/admin/v1/registry/people/{person.IdentityNumber}/unlock", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, unlocked.StatusCode);
        }
        using var browser = _hub.CreateBrowser();
        Assert.StartsWith("/registry/second-factor", (await RegistryPeople.Eidas2SignInAsync(browser, person.Username)).Url, StringComparison.Ordinal);

        using (var removed = await admin.DeleteAsync($"/api/admin/v1/registry/people/{person.IdentityNumber}/second-factors"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        using var next = _hub.CreateBrowser();
        Assert.StartsWith("/registry/enrol", (await RegistryPeople.Eidas2SignInAsync(next, person.Username)).Url, StringComparison.Ordinal);

        foreach (var request in new Func<Task<HttpResponseMessage>>[]
        {
            () => admin.PostAsync("/api/admin/v1/registry/people/999999999999/unlock", null),
            () => admin.DeleteAsync("/api/admin/v1/registry/people/999999999999/second-factors"),
        })
        {
            using var missing = await request();
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        }
        using var anonymous = _hub.CreateApiClient();
        using var refused = await anonymous.PostAsync($"/api/admin/v1/registry/people/{person.IdentityNumber}/unlock", null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task UnknownUsername_CostsAboutWhatAKnownOneCosts()
    {
        // Two people, four wrong passwords each: neither is locked, so both paths do exactly what a guess does.
        var people = new[] { await RegistryPeople.CreateAsync(_hub), await RegistryPeople.CreateAsync(_hub) };
        using var browser = _hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        // Warm both paths, then time them alternately so that the machine's load falls on both alike.
        var known = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            var username = people[i % 2].Username;
            known.Add(await TimeAsync(() => browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "wrong-password-" + i })));
            unknown.Add(await TimeAsync(() => browser.SubmitAsync(signIn, new() { ["Input.Username"] = "nobody." + i, ["Input.Password"] = "wrong-password-" + i })));
        }
        var ratio = Median(unknown.Skip(2)) / Median(known.Skip(2));
        Assert.InRange(ratio, 0.5, 2.0);
    }

    private static async Task<double> TimeAsync(Func<Task<Browser.Page>> submit)
    {
        var watch = Stopwatch.StartNew();
        var page = await submit();
        Assert.Equal(HttpStatusCode.OK, page.Status);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private async Task<Browser.Page> FailPasswordsAsync(string username, int times)
    {
        using var browser = _hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var page = signIn;
        for (var i = 0; i < times; i++)
        {
            page = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "wrong-password-" + i });
        }
        return page;
    }

    private async Task<Browser.Page> SubmitPasswordAsync(string username, string password)
    {
        using var browser = _hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        return await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = password });
    }

    private async Task<string> EnrolAsync(string username)
    {
        var (secret, _) = await RegistryPeople.EnrolAsync(_hub, username, _time);
        _time.Advance(TimeSpan.FromMinutes(1));
        return secret;
    }
}
