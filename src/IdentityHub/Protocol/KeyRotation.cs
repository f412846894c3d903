using System.ComponentModel.DataAnnotations;
using IdentityHub.Audit;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OpenIddict.Client;
using OpenIddict.Server;

namespace IdentityHub.Protocol;

/// <summary><c>Hub:Keys</c>: when keys rotate by themselves and how long a new key is published before it signs.</summary>
public sealed class KeyOptions
{
    public const string Section = "Hub:Keys";

    /// <summary>A key of an algorithm is replaced once the newest is this many days old.</summary>
    [Range(1, 3650)]
    public int RotationDays { get; set; } = 90;

    /// <summary>
    /// How long a new key is in JWKS before it signs: at least the hour a service may keep JWKS
    /// (<see cref="MetadataCache.CacheControl"/>), so a service that honours it knows the key before it sees it.
    /// </summary>
    [Range(1, 720)]
    public int PublishBeforeUseHours { get; set; } = 24;

    public TimeSpan Rotation => TimeSpan.FromDays(RotationDays);

    public TimeSpan PublishBeforeUse => TimeSpan.FromHours(PublishBeforeUseHours);
}

[OptionsValidator]
public sealed partial class KeyOptionsValidator : IValidateOptions<KeyOptions>;

/// <summary>A key and what it does now.</summary>
public sealed record KeyState(SigningKey Key, KeyStatus Status);

/// <summary>
/// Rotation of every kind of key, asked for or on schedule (docs/design.md, "Keys"): a new key per algorithm, published at
/// once and active from <c>activatesAt</c>; the key active until then retires once everything it may have protected has
/// expired; a pending next key from an earlier rotation is superseded, never used. One transaction under a lock that
/// every instance takes, so two rotations never interleave and a scheduled one happens once.
/// </summary>
internal sealed class KeyRotation(
    HubDbContext db,
    SigningKeys ring,
    IDataProtectionProvider dataProtection,
    TimeProvider time,
    IOptions<KeyOptions> options,
    IOptions<Sessions.SessionOptions> sessions,
    IOptionsMonitor<OpenIddictServerOptions> server,
    IOptionsMonitor<OpenIddictClientOptions> client,
    AuditLog audit)
{
    /// <summary>Announces a change of the keys to every instance (on commit).</summary>
    public const string Channel = "identityhub_keys";

    /// <summary>The longest <c>activateAfterSeconds</c>: 30 days.</summary>
    public const int MaxActivateAfterSeconds = 2_592_000;

    /// <summary>Beyond the last expiry: clocks that disagree a little, and an instance that learns of the change late.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);

    // pg_advisory_xact_lock's key for rotations (any constant no other lock of the hub uses).
    private const long LockKey = 0x4B45595F524F54;

    public async Task<IReadOnlyList<KeyState>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken);
        return Describe(rows, time.GetUtcNow());
    }

    /// <summary>Rotates every algorithm; the new keys activate after <paramref name="activateAfter"/> (default: the configured lead).</summary>
    /// <param name="actor">Who asked, for the audit trail (<c>client:{id}</c>).</param>
    public async Task<IReadOnlyList<KeyState>> RotateAsync(TimeSpan? activateAfter, string? actor, CancellationToken cancellationToken)
    {
        await RotateAsync((_, _, _) => true, activateAfter ?? options.Value.PublishBeforeUse, actor, cancellationToken);
        return await ListAsync(cancellationToken);
    }

    /// <summary>
    /// Rotates each algorithm whose newest key is <see cref="KeyOptions.RotationDays"/> old and has no next key yet;
    /// checked under the lock, so only one instance does it. True when it rotated.
    /// </summary>
    public Task<bool> RotateIfDueAsync(CancellationToken cancellationToken) =>
        RotateAsync((_, live, now) => live.Count > 0 && !live.Any(k => k.ActivatesAt > now) && live.Max(k => k.CreatedAt) + options.Value.Rotation <= now,
            options.Value.PublishBeforeUse, "hub", cancellationToken);

    private async Task<bool> RotateAsync(Func<string, List<SigningKey>, DateTimeOffset, bool> rotates, TimeSpan activateAfter, string? actor,
        CancellationToken cancellationToken)
    {
        var protector = dataProtection.CreateProtector(SigningKeys.Purpose);
        await ring.RotationGate.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var postgres = db.IsPostgres;
            if (postgres)
            {
                // Released at commit or rollback (connections are not reset when pooled: no session-level locks).
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
            }
            // Read after the lock: what an instance that rotated first wrote is seen here.
            var now = time.GetUtcNow();
            var rows = await db.SigningKeys.ToListAsync(cancellationToken);
            var rotated = new List<SigningKey>();
            foreach (var algorithm in SigningKeys.Algorithms)
            {
                var live = rows.Where(k => k.Algorithm == algorithm && !k.IsRetiredAt(now)).ToList();
                if (!rotates(algorithm, live, now))
                {
                    continue;
                }
                var activatesAt = now + activateAfter;
                var active = KeySchedule.Active(live.Select(k => k.Window), algorithm, now) is { } window
                    ? live.Single(k => k.Window.KeyId == window.KeyId) : null;
                foreach (var pending in live.Where(k => k.ActivatesAt > now))
                {
                    pending.RetiresAt = now;
                }
                if (active is not null)
                {
                    active.RetiresAt = activatesAt + LongestUse(algorithm) + Margin;
                }
                var key = SigningKeys.NewKey(protector, algorithm, now, activatesAt);
                db.SigningKeys.Add(key);
                rotated.Add(key);
            }
            if (rotated.Count == 0)
            {
                return false;
            }
            // On record with the keys themselves, in the same commit; the kids are public (JWKS), the keys never leave the table.
            audit.Add(new AuditEntry(AuditTypes.KeyRotated)
            {
                Actor = actor,
                Subject = string.Join(' ', rotated.Select(k => $"{k.Algorithm}:{k.KeyId ?? k.Id}")),
                Detail = $"activates at {rotated[0].ActivatesAt:O}",
            });
            await db.SaveChangesAsync(cancellationToken);
            if (postgres)
            {
                await db.Database.ExecuteSqlRawAsync($"NOTIFY {Channel}", cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            ring.RotationGate.Release();
        }
        // This instance uses the new keys at once; the others when the notification (or their periodic check) comes.
        await ring.ReloadAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// How long after a key stops signing something it protected may still come back to the hub or be checked by a
    /// service (docs/design.md, "Keys"). RS256 signs ID and access tokens, logout tokens and client assertions, and an ID
    /// token comes back as <c>id_token_hint</c> (expired or not) while the hub session lasts. ES256 signs, and the
    /// symmetric key encrypts, codes, refresh tokens and the upstream client's state tokens.
    /// </summary>
    private TimeSpan LongestUse(string algorithm)
    {
        var s = server.CurrentValue;
        var c = client.CurrentValue;
        return algorithm == SecurityAlgorithms.RsaSha256
            ? Longest(s.AccessTokenLifetime, s.IdentityTokenLifetime, BackchannelLogoutTokens.Lifetime, c.ClientAssertionLifetime, sessions.Value.Absolute)
            : Longest(s.RefreshTokenLifetime, s.AuthorizationCodeLifetime, c.StateTokenLifetime);
    }

    private static TimeSpan Longest(params TimeSpan?[] lifetimes) =>
        lifetimes.Max(l => l ?? throw new InvalidOperationException("Every token the hub issues must expire for its keys to retire."));

    private static List<KeyState> Describe(List<SigningKey> rows, DateTimeOffset now)
    {
        var statuses = KeyStatuses.At(rows, now);
        return [.. rows.OrderBy(k => Array.IndexOf(SigningKeys.Algorithms, k.Algorithm)).ThenByDescending(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal)
            .Select(k => new KeyState(k, statuses[k.Id]))];
    }
}

/// <summary>
/// Every minute on every instance: the scheduled rotation (done once, under the rotation's lock), then the check that
/// this instance holds the keys in the database and drops those that retired. The notification makes the check
/// immediate where it arrives; this is the fallback when it does not.
/// </summary>
internal sealed partial class KeyMaintenance(IServiceScopeFactory scopes, SigningKeys ring, TimeProvider time, ILogger<KeyMaintenance> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogFailed(logger, exception);
            }
        }
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<KeyRotation>().RotateIfDueAsync(cancellationToken);
        }
        await ring.ReloadAsync(cancellationToken);
        ring.RefreshWhenDue();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The periodic key check failed; the next one will try again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>
/// Holds one connection listening for key changes made by any instance and reloads the keys on each notification,
/// and once on every (re)connection, for a change made while it was down (the pattern of <see cref="ClientCacheListener"/>).
/// </summary>
internal sealed partial class KeyChangeListener(SigningKeys ring, IConfiguration configuration, ILogger<KeyChangeListener> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString("Hub"))
        {
            Pooling = false,
            KeepAlive = 5,
        }.ConnectionString;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                var notified = 1;
                connection.Notification += (_, _) => Volatile.Write(ref notified, 1);
                await using (var listen = new NpgsqlCommand($"LISTEN {KeyRotation.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                while (true)
                {
                    if (Interlocked.Exchange(ref notified, 0) == 1)
                    {
                        await ring.ReloadAsync(stoppingToken);
                    }
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever failed (the connection, or reading a key), the listener carries on: the hub must not stop for it.
                LogListenerDown(logger, exception, RetryDelay.TotalSeconds);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening for key changes (the periodic check still sees them); retrying in {Seconds} s.")]
    private static partial void LogListenerDown(ILogger logger, Exception exception, double seconds);
}
