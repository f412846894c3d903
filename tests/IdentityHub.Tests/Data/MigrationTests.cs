using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

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
}
