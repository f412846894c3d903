using System.Collections.Concurrent;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Npgsql;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdentityHub.Protocol;

/// <summary>
/// Client definitions kept between requests: without it every token, introspection and revocation request reads the
/// client's row again (OpenIddict's own cache lives for one request). Correct across instances through PostgreSQL's
/// LISTEN/NOTIFY: every write to a client through the application manager sends a notification on commit, and each
/// instance empties its copy when one arrives. The cache is used only while this instance is listening: before the
/// listener is connected, after it fails and on SQLite (one process, no notifications) every lookup reads the database.
/// </summary>
internal sealed class ClientCache
{
    public const string Channel = SettingsChanges.Channel;

    private readonly ConcurrentDictionary<string, Snapshot> byClientId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Snapshot> byId = new(StringComparer.Ordinal);
    private long generation;
    private volatile bool listening;

    public bool Listening => listening;

    /// <summary>Read before loading a row from the database; <see cref="Store"/> refuses it if a change came in meanwhile.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public bool TryGetByClientId(string clientId, out Snapshot snapshot) => TryGet(byClientId, clientId, out snapshot);

    public bool TryGetById(string id, out Snapshot snapshot) => TryGet(byId, id, out snapshot);

    private bool TryGet(ConcurrentDictionary<string, Snapshot> map, string key, out Snapshot snapshot)
    {
        snapshot = null!;
        return listening && map.TryGetValue(key, out snapshot!);
    }

    public void Store(long seenGeneration, OpenIddictEntityFrameworkCoreApplication application)
    {
        if (!listening || application.Id is null || application.ClientId is null)
        {
            return;
        }
        var snapshot = Snapshot.Of(application);
        byClientId[application.ClientId] = snapshot;
        byId[application.Id] = snapshot;
        // A change that arrived while the row was being read may have been cleared before this store: drop it.
        if (Generation != seenGeneration)
        {
            Clear();
        }
    }

    public void Clear()
    {
        Interlocked.Increment(ref generation);
        byClientId.Clear();
        byId.Clear();
    }

    public void SetListening(bool value)
    {
        listening = value;
        Clear();
    }

    /// <summary>The columns of one client row; each request gets its own entity built from it.</summary>
    public sealed record Snapshot(
        string Id, string? ApplicationType, string ClientId, string? ClientSecret, string? ClientType, string? ConcurrencyToken,
        string? ConsentType, string? DisplayName, string? DisplayNames, string? JsonWebKeySet, string? Permissions,
        string? PostLogoutRedirectUris, string? Properties, string? RedirectUris, string? Requirements, string? Settings)
    {
        public static Snapshot Of(OpenIddictEntityFrameworkCoreApplication a) => new(
            a.Id!, a.ApplicationType, a.ClientId!, a.ClientSecret, a.ClientType, a.ConcurrencyToken, a.ConsentType, a.DisplayName,
            a.DisplayNames, a.JsonWebKeySet, a.Permissions, a.PostLogoutRedirectUris, a.Properties, a.RedirectUris, a.Requirements, a.Settings);

        public OpenIddictEntityFrameworkCoreApplication ToEntity() => new()
        {
            Id = Id,
            ApplicationType = ApplicationType,
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = ClientType,
            ConcurrencyToken = ConcurrencyToken,
            ConsentType = ConsentType,
            DisplayName = DisplayName,
            DisplayNames = DisplayNames,
            JsonWebKeySet = JsonWebKeySet,
            Permissions = Permissions,
            PostLogoutRedirectUris = PostLogoutRedirectUris,
            Properties = Properties,
            RedirectUris = RedirectUris,
            Requirements = Requirements,
            Settings = Settings,
        };
    }
}

/// <summary>
/// Holds one connection listening for client changes made by any instance; empties the cache on each notification,
/// and turns the cache off while the connection is down (a notification sent then would be missed).
/// </summary>
internal sealed partial class ClientCacheListener(ClientCache cache, SettingsChanges settings, IConfiguration configuration, ILogger<ClientCacheListener> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString("Hub"))
        {
            Pooling = false,
            // A keepalive query every few seconds: a dead connection is noticed, not waited on forever.
            KeepAlive = 5,
        }.ConnectionString;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, _) =>
                {
                    cache.Clear();
                    settings.Changed();
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {ClientCache.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                cache.SetListening(true);
                settings.SetListening(true);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException or TimeoutException)
            {
                cache.SetListening(false);
                settings.SetListening(false);
                LogListenerDown(logger, exception, RetryDelay.TotalSeconds);
            }
            finally
            {
                cache.SetListening(false);
                settings.SetListening(false);
            }
            try
            {
                await Task.Delay(RetryDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening for client changes (each request reads its client from the database meanwhile); retrying in {Seconds} s.")]
    private static partial void LogListenerDown(ILogger logger, Exception exception, double seconds);

    public static WebApplicationBuilder AddClientCache(WebApplicationBuilder builder, HubOptions hub)
    {
        builder.Services.AddSingleton<ClientCache>();
        if (hub.Database.Provider == DatabaseProvider.Postgres)
        {
            builder.Services.AddHostedService<ClientCacheListener>();
        }
        return builder;
    }
}
