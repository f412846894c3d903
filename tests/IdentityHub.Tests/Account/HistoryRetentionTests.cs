using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Sessions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Account;

/// <summary>Connection history older than <c>Hub:History:RetentionDays</c> goes with the expired-records job, in bounded batches.</summary>
public sealed class HistoryRetentionTests : IAsyncLifetime
{
    // The clock of the cleanup runs below. The hub keeps the system's: its own cleanup, on a 15-minute timer, would
    // otherwise run (and purge everything at once) whenever this clock is moved on.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private HubFactory _hub = null!;

    public async Task InitializeAsync() =>
        _hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:History:RetentionDays"] = "30" });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Cleanup_PurgesLoginsOlderThanTheRetention_InBatches_AndKeepsTheRest()
    {
        await using var scope = _hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var person = await db.People.Select(p => p.Id).FirstAsync();
        var start = _time.GetUtcNow();
        db.ConnectionHistory.AddRange(Enumerable.Range(0, 25).Select(i => Row(person, start.AddMinutes(i))));
        db.ConnectionHistory.AddRange(Enumerable.Range(0, 3).Select(i => Row(person, start.AddDays(20))));
        await db.SaveChangesAsync();
        int Old() => db.ConnectionHistory.Count(r => r.At < start.AddDays(1));
        int Recent() => db.ConnectionHistory.Count(r => r.At >= start.AddDays(1));

        // Thirty days are not up: nothing goes.
        _time.Advance(TimeSpan.FromDays(29));
        var cleanup = Cleanup(new() { BatchSize = 10, TimeBudget = TimeSpan.Zero });
        await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.Equal(25, Old());

        // Past them, one batch of ten a run (no time budget), the recent rows kept.
        _time.Advance(TimeSpan.FromDays(2));
        await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.Equal(15, Old());
        await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.Equal(5, Old());
        await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, Old());
        Assert.Equal(3, Recent());

        // With time to spare, one run repeats its batches until the backlog is gone.
        db.ChangeTracker.Clear();
        db.ConnectionHistory.AddRange(Enumerable.Range(0, 25).Select(i => Row(person, start.AddMinutes(i))));
        await db.SaveChangesAsync();
        await Cleanup(new() { BatchSize = 10, TimeBudget = TimeSpan.FromMinutes(1) }).RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, Old());
        Assert.Equal(3, Recent());
    }

    [Fact]
    public async Task DeletingAPerson_DeletesTheirHistory()
    {
        await using var scope = _hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var person = new IdentityHub.Subjects.Person
        {
            Id = Guid.NewGuid(),
            Pivot = new() { GivenName = "Tạm", FamilyName = "Thời", Birthdate = new DateOnly(1970, 1, 1) },
            CreatedAt = _time.GetUtcNow(),
        };
        db.People.Add(person);
        db.ConnectionHistory.Add(Row(person.Id, _time.GetUtcNow()));
        await db.SaveChangesAsync();

        await db.People.Where(p => p.Id == person.Id).ExecuteDeleteAsync();

        Assert.False(await db.ConnectionHistory.AnyAsync(r => r.PersonId == person.Id));
    }

    private ExpiredRecordsCleanup Cleanup(ExpiredRecordsCleanupOptions options) =>
        new(_hub.Services.GetRequiredService<IServiceScopeFactory>(), _time, Options.Create(options), NullLogger<ExpiredRecordsCleanup>.Instance);

    private static ConnectionRecord Row(Guid person, DateTimeOffset at) => new()
    {
        PersonId = person,
        ClientId = "sample-service",
        At = at,
        SourceId = "registry",
        Acr = "eidas1",
        Claims = "given_name family_name",
    };
}
