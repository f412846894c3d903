using System.Net;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Registry;

/// <summary>Two hub instances on one PostgreSQL database: a code used on one is refused on the other, and a lock set on one holds on the other.</summary>
public sealed class SharedInstancesTests
{
    [Fact]
    public async Task CodeAcceptedOnOneInstance_IsRefusedOnTheOther_AndALockHoldsOnBoth()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres, time: time);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString, time: time);
        var person = await RegistryPeople.CreateAsync(first);

        var (secret, _) = await RegistryPeople.EnrolAsync(first, person.Username, time);
        time.Advance(TimeSpan.FromMinutes(1));

        var code = RegistryPeople.Code(secret, time.GetUtcNow());
        using var onFirst = first.CreateBrowser();
        using var onSecond = second.CreateBrowser();
        var pageOnFirst = await RegistryPeople.Eidas2SignInAsync(onFirst, person.Username);
        var pageOnSecond = await RegistryPeople.Eidas2SignInAsync(onSecond, person.Username);
        Assert.True((await onFirst.SubmitAsync(pageOnFirst, new() { ["Code"] = code })).IsRedirect);
        var replayed = await onSecond.SubmitAsync(pageOnSecond, new() { ["Code"] = code });
        Assert.Equal(HttpStatusCode.OK, replayed.Status);
        Assert.Contains("already used", replayed.Html, StringComparison.Ordinal);

        // Wrong passwords spread over both instances count together.
        using var a = first.CreateBrowser();
        using var b = second.CreateBrowser();
        var signInA = await a.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var signInB = await b.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        Browser.Page last = signInA;
        for (var i = 0; i < 5; i++)
        {
            var (browser, page) = i % 2 == 0 ? (a, signInA) : (b, signInB);
            last = await browser.SubmitAsync(page, new() { ["Input.Username"] = person.Username, ["Input.Password"] = "wrong-" + i });
        }
        Assert.Contains("locked", last.Html, StringComparison.Ordinal);
        var right = await b.SubmitAsync(signInB, new() { ["Input.Username"] = person.Username, ["Input.Password"] = RegistryPeople.Password });
        Assert.Contains("locked", right.Html, StringComparison.Ordinal);
    }
}
