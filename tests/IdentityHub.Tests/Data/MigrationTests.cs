using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IdentityHub.Tests.Data;

public sealed class MigrationTests
{
    [Fact]
    public async Task PostgresMigrations_MatchTheModelAndApplyCleanly()
    {
        var options = new DbContextOptionsBuilder<HubDbContext>();
        DatabaseSetup.Configure(options, DatabaseProvider.Postgres, await PostgresCluster.CreateDatabaseAsync());
        await using var db = new HubDbContext(options.Options);

        // A model change without its migration would only surface in production: fail here instead.
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changed: run dotnet ef migrations add <Name> --project src/IdentityHub --output-dir Data/Migrations/Postgres");
        await db.Database.MigrateAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task LoginJourneyStepsMigration_KeepsJourneysInFlightAtTheirStep()
    {
        var options = new DbContextOptionsBuilder<HubDbContext>();
        DatabaseSetup.Configure(options, DatabaseProvider.Postgres, await PostgresCluster.CreateDatabaseAsync());
        await using var db = new HubDbContext(options.Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261126073723_Initial");
        // As the hub before this migration left them: waiting for a source, ended and waiting for the browser, resumed.
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "LoginJourneys" ("Id", "BrowserBinding", "ClientId", "AuthorizeQuery", "CreatedAt", "ExpiresAt", "ForceAuthentication", "CompletedAt", "ConsumedAt", "Error")
            VALUES ('authenticating', 'b', 'c', '', now(), now() + interval '15 minutes', false, NULL, NULL, NULL),
                   ('ended', 'b', 'c', '', now(), now() + interval '15 minutes', false, now(), NULL, 'access_denied'),
                   ('resumed', 'b', 'c', '', now(), now() + interval '15 minutes', false, now(), now(), NULL)
            """);

        await migrator.MigrateAsync();

        var steps = await db.LoginJourneys.AsNoTracking().OrderBy(j => j.Id).Select(j => new { j.Id, j.Step, j.Error }).ToListAsync();
        Assert.Equal(
            [("authenticating", IdentityHub.Login.LoginStep.Authenticate), ("ended", IdentityHub.Login.LoginStep.Resume), ("resumed", IdentityHub.Login.LoginStep.Done)],
            steps.Select(s => (s.Id, s.Step)));
        Assert.Equal("access_denied", steps.Single(s => s.Id == "ended").Error);
    }
}
