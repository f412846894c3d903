using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Login;
using IdentityHub.Sessions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Tests.Sessions;

public sealed class ExpiredRecordsCleanupTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Cleanup_RemovesExpiredJourneysAndOldSessions_AndKeepsLiveOnes()
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = DateTimeOffset.UtcNow;
        var person = await db.People.Select(p => p.Id).FirstAsync();
        db.LoginJourneys.AddRange(Journey("expired", now.AddMinutes(-1)), Journey("live", now.AddMinutes(10)));
        db.HubSessions.AddRange(Session("old", person, now.AddDays(-2)), Session("current", person, now.AddHours(1)));
        await db.SaveChangesAsync();

        var cleanup = hub.Services.GetServices<IHostedService>().OfType<ExpiredRecordsCleanup>().Single();
        await cleanup.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["live"], await db.LoginJourneys.AsNoTracking().Where(j => j.Id == "expired" || j.Id == "live").Select(j => j.Id).ToListAsync());
        Assert.Equal(["current"], await db.HubSessions.AsNoTracking().Where(s => s.Id == "old" || s.Id == "current").Select(s => s.Id).ToListAsync());
    }

    [Fact]
    public async Task Cleanup_DeletesInBoundedBatches_AndLeavesTheRestForTheNextRun()
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = DateTimeOffset.UtcNow;
        db.LoginJourneys.AddRange(Enumerable.Range(0, 2_500).Select(i => Journey($"batch-{i:D4}", now.AddMinutes(-1))));
        db.LoginJourneys.Add(Journey("batch-live", now.AddMinutes(10)));
        await db.SaveChangesAsync();
        int Left() => db.LoginJourneys.Count(j => j.Id.StartsWith("batch-") && j.Id != "batch-live");

        // No time budget: one batch of each kind per run, the backlog goes over three runs.
        var cleanup = Cleanup(new() { BatchSize = 1_000, TimeBudget = TimeSpan.Zero });
        var first = await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.True(first.Ran);
        Assert.Equal(1_500, Left());
        await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.Equal(500, Left());
        await cleanup.RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, Left());
        Assert.True(await db.LoginJourneys.AnyAsync(j => j.Id == "batch-live"));

        // With time to spare, one run repeats the batch until fewer rows than a batch are left.
        db.ChangeTracker.Clear();
        db.LoginJourneys.AddRange(Enumerable.Range(0, 2_500).Select(i => Journey($"batch-{i:D4}", now.AddMinutes(-1))));
        await db.SaveChangesAsync();
        var all = await Cleanup(new() { BatchSize = 1_000 }).RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, Left());
        Assert.True(all.Deleted >= 2_500);
        Assert.True(all.Statements >= 3);
        Assert.True(await db.LoginJourneys.AnyAsync(j => j.Id == "batch-live"));
    }

    [Fact]
    public async Task Cleanup_PrunesSpentTokensAndAdHocAuthorizations_AndKeepsConsentsAndLiveTokens()
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = DateTime.UtcNow;
        var old = now.AddDays(-2);
        var consent = Authorization("consent", AuthorizationTypes.Permanent, Statuses.Valid, old);
        var used = Authorization("ad-hoc-used", AuthorizationTypes.AdHoc, Statuses.Valid, old);
        db.AddRange(
            consent,
            used,
            Authorization("ad-hoc-left", AuthorizationTypes.AdHoc, Statuses.Valid, old),
            Authorization("revoked", AuthorizationTypes.Permanent, Statuses.Revoked, old),
            Authorization("ad-hoc-recent", AuthorizationTypes.AdHoc, Statuses.Valid, now.AddHours(-1)),
            Token("redeemed-code", Statuses.Redeemed, old, old.AddMinutes(1), used),
            Token("expired-access", Statuses.Valid, old, old.AddMinutes(10), used),
            Token("live-refresh", Statuses.Valid, old, now.AddHours(1), consent),
            Token("recent-redeemed", Statuses.Redeemed, now.AddHours(-1), now.AddHours(1), consent));
        await db.SaveChangesAsync();

        await Cleanup(new() { BatchSize = 1 }).RunOnceAsync(CancellationToken.None);

        Assert.Equal(["live-refresh", "recent-redeemed"], await db.Set<OpenIddictEntityFrameworkCoreToken>().AsNoTracking().Select(t => t.Id!).Order().ToListAsync());
        // Tokens go first, so the ad-hoc authorization they held goes in the same run.
        Assert.Equal(["ad-hoc-recent", "consent"], await Authorizations(db));
    }

    /// <summary>Two hubs on one PostgreSQL database: while one holds the cleanup, the other skips; when the holder dies, the other takes over.</summary>
    [Fact]
    public async Task TwoInstances_OneCleansAtATime_AndADeadHolderReleasesIt()
    {
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString);
        var now = DateTimeOffset.UtcNow;
        await using (var seed = first.Services.CreateAsyncScope())
        {
            var db = seed.ServiceProvider.GetRequiredService<HubDbContext>();
            db.LoginJourneys.AddRange(Enumerable.Range(0, 30).Select(i => Journey($"shared-{i:D2}", now.AddMinutes(-1))));
            await db.SaveChangesAsync();
        }

        // The first instance is mid-run: it holds the lock on its connection.
        await using var running = first.Services.CreateAsyncScope();
        var holderDb = running.ServiceProvider.GetRequiredService<HubDbContext>();
        var held = await CleanupLock.TryTakeAsync(holderDb, CancellationToken.None);
        Assert.NotNull(held);
        var holderPid = (await holderDb.Database.SqlQuery<int>($"SELECT pg_backend_pid() AS \"Value\"").ToListAsync()).Single();

        var skipped = await HostedCleanup(second).RunOnceAsync(CancellationToken.None);
        Assert.False(skipped.Ran);
        Assert.Equal(0, skipped.Deleted);
        Assert.False((await HostedCleanup(first).RunOnceAsync(CancellationToken.None)).Ran);
        Assert.Equal(30, await SharedJourneys(second));

        // The first instance dies mid-run: its connection ends, and the server releases the lock with it.
        await using (var other = second.Services.CreateAsyncScope())
        {
            var db = other.ServiceProvider.GetRequiredService<HubDbContext>();
            Assert.True((await db.Database.SqlQuery<bool>($"SELECT pg_terminate_backend({holderPid}) AS \"Value\"").ToListAsync()).Single());
        }
        var takenOver = await RunWhenReleasedAsync(HostedCleanup(second));
        Assert.True(takenOver.Ran);
        Assert.Equal(0, await SharedJourneys(second));
        await held.DisposeAsync();

        // A run that ends releases the lock: the other instance runs next.
        Assert.True((await HostedCleanup(first).RunOnceAsync(CancellationToken.None)).Ran);
    }

    // The server ends a terminated backend asynchronously; its lock is free a moment later.
    private static async Task<ExpiredRecordsRun> RunWhenReleasedAsync(ExpiredRecordsCleanup cleanup)
    {
        for (var attempt = 0; ; attempt++)
        {
            var run = await cleanup.RunOnceAsync(CancellationToken.None);
            if (run.Ran || attempt == 50)
            {
                return run;
            }
            await Task.Delay(100);
        }
    }

    private static async Task<int> SharedJourneys(HubFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().LoginJourneys.CountAsync(j => j.Id.StartsWith("shared-"));
    }

    private static ExpiredRecordsCleanup HostedCleanup(HubFactory factory) =>
        factory.Services.GetServices<IHostedService>().OfType<ExpiredRecordsCleanup>().Single();

    private ExpiredRecordsCleanup Cleanup(ExpiredRecordsCleanupOptions options) =>
        new(hub.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, Options.Create(options), NullLogger<ExpiredRecordsCleanup>.Instance);

    private static Task<List<string>> Authorizations(HubDbContext db) =>
        db.Set<OpenIddictEntityFrameworkCoreAuthorization>().AsNoTracking().Select(a => a.Id!).Order().ToListAsync();

    private static OpenIddictEntityFrameworkCoreAuthorization Authorization(string id, string type, string status, DateTime created) => new()
    {
        Id = id,
        Type = type,
        Status = status,
        Subject = "someone",
        CreationDate = created,
    };

    private static OpenIddictEntityFrameworkCoreToken Token(string id, string status, DateTime created, DateTime expires, OpenIddictEntityFrameworkCoreAuthorization authorization) => new()
    {
        Id = id,
        Type = TokenTypeIdentifiers.RefreshToken,
        Status = status,
        Subject = "someone",
        CreationDate = created,
        ExpirationDate = expires,
        Authorization = authorization,
    };

    [Fact]
    public async Task HubPages_ForbidFramingAndSniffing()
    {
        using var http = hub.CreateApiClient();
        using var response = await http.GetAsync("/");
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    private static LoginJourney Journey(string id, DateTimeOffset expires) => new()
    {
        Id = id,
        BrowserBinding = "x",
        ClientId = "sample-service",
        AuthorizeQuery = "",
        CreatedAt = expires.AddMinutes(-15),
        ExpiresAt = expires,
    };

    private static HubSession Session(string id, Guid person, DateTimeOffset expires) => new()
    {
        Id = id,
        PersonId = person,
        SourceId = "registry",
        Acr = "eidas1",
        Amr = "pwd",
        AuthenticatedAt = expires.AddHours(-1),
        CreatedAt = expires.AddHours(-1),
        ExpiresAt = expires,
        IdleExpiresAt = expires,
    };
}
