using System.Security.Cryptography;
using System.Text;
using IdentityHub.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Options;

namespace IdentityHub.Data;

internal static partial class DataSetup
{
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        var provider = HubEnvironment.Options(builder).Database.Provider;
        var connectionString = builder.Configuration.GetConnectionString("Hub") ?? "Data Source=identityhub.db";
        // Pooled: a token request would otherwise build a context, its options and its services from scratch.
        builder.Services.AddDbContextPool<HubDbContext>(options => Configure(options, provider, connectionString));
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }

    public static void Configure(DbContextOptionsBuilder options, DatabaseProvider provider, string connectionString)
    {
        _ = provider switch
        {
            DatabaseProvider.Postgres => options.UseNpgsql(TunedForPostgres(connectionString), npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory")),
            _ => options.UseSqlite(connectionString),
        };
        options.UseOpenIddict();
    }

    /// <summary>
    /// Two connection defaults for a server whose queries are few and repeated, each overridden by an explicit setting
    /// in the connection string. No reset on close: Npgsql would send DISCARD ALL each time a pooled connection is
    /// returned, a round trip per request (PERFORMANCE.md), and the hub keeps no session state on connections (no SET,
    /// temporary tables or advisory locks). Automatic preparation: PostgreSQL parses and plans the hub's few dozen
    /// statements once per connection instead of on every execution (EF Core names every column, so a later
    /// migration that adds columns does not invalidate them).
    /// </summary>
    private static string TunedForPostgres(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var given = connectionString.Replace(" ", "", StringComparison.Ordinal);
        if (!given.Contains("ResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }
        if (!given.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// Brings the schema up to date: EF Core migrations on PostgreSQL; on the embedded SQLite demo database the
    /// schema is created from the model, and recreated in Development when the model has changed since.
    /// </summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        if (db.Database.IsNpgsql())
        {
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }

        var fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(db.Database.GenerateCreateScript())));
        await db.Database.EnsureCreatedAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("CREATE TABLE IF NOT EXISTS \"__HubSchema\" (\"Fingerprint\" TEXT NOT NULL)", cancellationToken);
        var stored = await db.Database.SqlQueryRaw<string>("SELECT \"Fingerprint\" AS \"Value\" FROM \"__HubSchema\"").ToListAsync(cancellationToken);
        if (stored.Count == 0)
        {
            await db.Database.ExecuteSqlAsync($"INSERT INTO \"__HubSchema\" (\"Fingerprint\") VALUES ({fingerprint})", cancellationToken);
            return;
        }
        if (stored[0] == fingerprint)
        {
            return;
        }
        var environment = scope.ServiceProvider.GetRequiredService<IHostEnvironment>();
        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                "The SQLite database was created by another version of IdentityHub. SQLite is the embedded demo store: " +
                "delete the database file, or use PostgreSQL (Hub__Database__Provider=Postgres), whose schema is migrated.");
        }
        LogRecreating(scope.ServiceProvider.GetRequiredService<ILogger<HubDbContext>>());
        await db.Database.EnsureDeletedAsync(cancellationToken);
        await MigrateAsync(services, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded SQLite database predates this version of the hub: recreating it and its demo data.")]
    private static partial void LogRecreating(ILogger logger);

    /// <summary>Runs before every hosted service starts (data protection reads its key ring from these tables).</summary>
    private sealed class DatabaseInitializer(IServiceProvider services, IOptions<HubOptions> options, IHostEnvironment environment) : IHostedLifecycleService
    {
        public async Task StartingAsync(CancellationToken cancellationToken)
        {
            await MigrateAsync(services, cancellationToken);
            await IdentitySources.RegistrySource.EnsureAsync(services, cancellationToken);
            if (HubEnvironment.SeedDemo(options.Value, environment))
            {
                await DemoSeed.RunAsync(services, cancellationToken);
            }
            // Fails the start now, not the first login, when the pairwise key is missing.
            services.GetRequiredService<Subjects.PairwiseKey>();
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without starting the hub.</summary>
internal sealed class DesignTimeHubDbContextFactory : IDesignTimeDbContextFactory<HubDbContext>
{
    public HubDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<HubDbContext>();
        DataSetup.Configure(options, DatabaseProvider.Postgres, "Host=localhost;Database=identityhub_design");
        return new HubDbContext(options.Options);
    }
}
