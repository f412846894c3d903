using System.Security.Cryptography;
using System.Text;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Options;

namespace IdentityHub.Hosting;

/// <summary>The one database of the hub: PostgreSQL in production, SQLite as the embedded demo store (docs/design.md, "Databases").</summary>
internal static partial class DatabaseSetup
{
    public static WebApplicationBuilder AddHubDatabase(this WebApplicationBuilder builder)
    {
        var provider = HubEnvironment.Options(builder).Database.Provider;
        var connectionString = builder.Configuration.GetConnectionString("Hub") ?? "Data Source=identityhub.db";
        // Pooled: a token request would otherwise build a context, its options and its services from scratch.
        builder.Services.AddSingleton<SettingsChanges>();
        builder.Services.AddSingleton<SettingsChangeInterceptor>();
        builder.Services.AddDbContextPool<HubDbContext>((services, options) =>
        {
            Configure(options, provider, connectionString);
            options.AddInterceptors(services.GetRequiredService<SettingsChangeInterceptor>());
        });
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
    /// returned, a round trip per request (bench/README.md), and the hub keeps no session state on connections (no SET,
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
        if (db.IsPostgres)
        {
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }

        var fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(db.Database.GenerateCreateScript())));
        await db.Database.EnsureCreatedAsync(cancellationToken);
        // Not part of the model, so not in its create script: the audit trail's append-only rules.
        await db.Database.ExecuteSqlRawAsync(AuditTriggers.Sqlite, cancellationToken);
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

    /// <summary>
    /// The first start-up task (data protection reads its key ring from these tables, every feature's own task reads or
    /// writes its rows): the schema, then the demo data where it is asked for.
    /// </summary>
    private sealed class DatabaseInitializer(IServiceProvider services, IOptions<HubOptions> options, IHostEnvironment environment) : StartupTask
    {
        public override async Task StartingAsync(CancellationToken cancellationToken)
        {
            await MigrateAsync(services, cancellationToken);
            if (HubEnvironment.SeedDemo(options.Value, environment))
            {
                await DemoSeed.RunAsync(services, cancellationToken);
            }
        }
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without starting the hub.</summary>
internal sealed class DesignTimeHubDbContextFactory : IDesignTimeDbContextFactory<HubDbContext>
{
    public HubDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<HubDbContext>();
        DatabaseSetup.Configure(options, DatabaseProvider.Postgres, "Host=localhost;Database=identityhub_design");
        return new HubDbContext(options.Options);
    }
}
