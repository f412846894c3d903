using System.Security.Cryptography;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IdentityHub.Protocol;

/// <summary>
/// The key ring: gives OpenIddict the hub's persistent keys, RS256 (the default every OIDC client accepts), ES256
/// (cheaper to sign), and a symmetric key that encrypts codes and refresh tokens. OpenIddict holds every key that is
/// not retired (next, active, retiring), so JWKS publishes them and the hub reads its own tokens with any; which one
/// signs is chosen per token (<see cref="ProtocolHandlers.SignWithActiveKeys"/>, docs/design.md "Keys"). The server
/// options are rebuilt when the keys in the database change (<see cref="ReloadAsync"/>) and when a key activates or
/// retires (<see cref="RefreshWhenDue"/>). The first key of each kind has a fixed row id so instances starting together
/// cannot create two.
/// </summary>
internal sealed partial class SigningKeys(IServiceScopeFactory scopes, KeySchedule schedule, TimeProvider time, ILogger<SigningKeys> logger)
    : IConfigureOptions<OpenIddictServerOptions>, IOptionsChangeTokenSource<OpenIddictServerOptions>, IDisposable
{
    public const string Purpose = "IdentityHub.Protocol.SigningKeys";

    /// <summary>The algorithms the hub keeps a key for, in the order OpenIddict is given them.</summary>
    public static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.Aes256KW];

    private sealed record Loaded(SigningKey Row, SecurityKey Key);

    private sealed record Snapshot(IReadOnlyList<Loaded> Keys, string Fingerprint);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private Snapshot? _snapshot;
    private CancellationTokenSource _changes = new();
    private long _dueTicks = long.MaxValue;
    private int _refreshing;

    /// <summary>One rotation at a time in this process; across instances the database lock (<see cref="KeyRotation"/>).</summary>
    public SemaphoreSlim RotationGate { get; } = new(1, 1);

    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);

    public void Configure(OpenIddictServerOptions options)
    {
        // Options are first built on the first protocol request, after the database is ready.
        var snapshot = Volatile.Read(ref _snapshot) ?? LoadFirst();
        var now = time.GetUtcNow();
        var published = snapshot.Keys.Where(k => !k.Row.IsRetiredAt(now)).ToList();
        var statuses = KeyStatuses.At([.. published.Select(k => k.Row)], now);
        foreach (var algorithm in Algorithms)
        {
            // The active key first, so OpenIddict's own choice, where the hub's does not apply, is the active key too.
            var keys = published.Where(k => k.Row.Algorithm == algorithm)
                .OrderBy(k => statuses[k.Row.Id] == KeyStatus.Active ? 0 : 1)
                .ThenByDescending(k => k.Row.ActivatesAt).ThenBy(k => k.Row.Id, StringComparer.Ordinal);
            foreach (var key in keys)
            {
                if (algorithm == SecurityAlgorithms.Aes256KW)
                {
                    options.EncryptionCredentials.Add(new EncryptingCredentials(key.Key, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
                }
                else
                {
                    options.SigningCredentials.Add(new SigningCredentials(key.Key, algorithm));
                }
            }
        }
        // The next moment these options are out of date by the clock alone: a key activates or retires.
        var due = published.SelectMany(k => new[] { k.Row.ActivatesAt, k.Row.RetiresAt ?? DateTimeOffset.MaxValue })
            .Where(t => t > now).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        Interlocked.Exchange(ref _dueTicks, due.UtcTicks);
    }

    /// <summary>Rebuilds the options once a key they hold has activated or retired; a comparison when nothing is due.</summary>
    public void RefreshWhenDue()
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref _dueTicks) || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }
        try
        {
            Interlocked.Exchange(ref _dueTicks, long.MaxValue);
            Fire();
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    /// <summary>
    /// Reads the keys again (a notification or the periodic check, docs/design.md "Keys"); when they differ from those
    /// loaded, the server options are rebuilt. True when they changed.
    /// </summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        bool changed;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            var previous = _snapshot;
            var snapshot = await LoadAsync(previous, cancellationToken);
            changed = previous is not null && previous.Fingerprint != snapshot.Fingerprint;
            Use(snapshot);
        }
        finally
        {
            _loading.Release();
        }
        if (changed)
        {
            Fire();
        }
        return changed;
    }

    private Snapshot LoadFirst()
    {
        _loading.Wait();
        try
        {
            if (_snapshot is { } loaded)
            {
                return loaded;
            }
            var snapshot = LoadAsync(null, CancellationToken.None).GetAwaiter().GetResult();
            Use(snapshot);
            return snapshot;
        }
        finally
        {
            _loading.Release();
        }
    }

    private void Use(Snapshot snapshot)
    {
        schedule.Publish(snapshot.Keys.Select(k => k.Row.Window));
        Volatile.Write(ref _snapshot, snapshot);
    }

    private void Fire()
    {
        var previous = Interlocked.Exchange(ref _changes, new CancellationTokenSource());
        try
        {
            // The options are rebuilt right here, by the options monitor's callback.
            previous.Cancel();
        }
        catch (AggregateException exception)
        {
            // The monitor builds them again at their next use, which then fails with the cause.
            LogRebuildFailed(logger, exception);
        }
        finally
        {
            previous.Dispose();
        }
    }

    private async Task<Snapshot> LoadAsync(Snapshot? previous, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
        var now = time.GetUtcNow();

        // The table holds a few rows per rotation: all are read, and compared here alike on both providers.
        var rows = await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken);
        foreach (var algorithm in Algorithms)
        {
            if (rows.Any(k => k.Algorithm == algorithm && !k.IsRetiredAt(now) && k.ActivatesAt <= now))
            {
                continue;
            }
            var id = "initial-" + algorithm;
            db.SigningKeys.Add(NewKey(protector, algorithm, now, activatesAt: now, id: rows.Any(k => k.Id == id) ? null : id));
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another instance created it first; use theirs.
            }
            db.ChangeTracker.Clear();
            rows = await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken);
        }

        var keys = new List<Loaded>();
        foreach (var row in rows.Where(k => !k.IsRetiredAt(now)).OrderBy(k => k.Id, StringComparer.Ordinal))
        {
            var key = previous?.Keys.FirstOrDefault(k => k.Row.Id == row.Id)?.Key
                ?? KeyMaterial.ToSecurityKey(row.Algorithm, protector.Unprotect(Convert.FromBase64String(row.ProtectedKey)), row.KeyId ?? KeyIdFor(row));
            if (row.KeyId is null)
            {
                // Rows from before the kid was stored: every instance computes the same one.
                row.KeyId = key.KeyId;
                await db.SigningKeys.Where(k => k.Id == row.Id && k.KeyId == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.KeyId, row.KeyId), cancellationToken);
            }
            keys.Add(new Loaded(row, key));
        }
        var fingerprint = string.Join(';', keys.Select(k => $"{k.Row.Id}:{k.Row.ActivatesAt.UtcTicks}:{k.Row.RetiresAt?.UtcTicks}"));
        return new Snapshot(keys, fingerprint);
    }

    /// <summary>A new key, stored protected; its kid is the RFC 7638 thumbprint, or the row id for the symmetric key.</summary>
    public static SigningKey NewKey(IDataProtector protector, string algorithm, DateTimeOffset now, DateTimeOffset activatesAt, string? id = null)
    {
        var material = KeyMaterial.Generate(algorithm);
        var row = new SigningKey
        {
            Id = id ?? Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            Algorithm = algorithm,
            ProtectedKey = Convert.ToBase64String(protector.Protect(material)),
            CreatedAt = now,
            ActivatesAt = activatesAt,
        };
        row.KeyId = KeyMaterial.ToSecurityKey(algorithm, material, KeyIdFor(row)).KeyId;
        return row;
    }

    /// <summary>The symmetric key is named by its row (no public part to take a thumbprint of); the others by their thumbprint.</summary>
    private static string? KeyIdFor(SigningKey row) => row.Algorithm == SecurityAlgorithms.Aes256KW ? row.Id : null;

    public void Dispose()
    {
        _changes.Dispose();
        _loading.Dispose();
        RotationGate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuilding the protocol options after a key change failed.")]
    private static partial void LogRebuildFailed(ILogger logger, Exception exception);
}

/// <summary>Generating and reading the keys' material.</summary>
internal static class KeyMaterial
{
    public static byte[] Generate(string algorithm)
    {
        switch (algorithm)
        {
            case SecurityAlgorithms.RsaSha256:
                using (var rsa = RSA.Create(2048))
                {
                    return rsa.ExportPkcs8PrivateKey();
                }
            case SecurityAlgorithms.EcdsaSha256:
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return ec.ExportPkcs8PrivateKey();
                }
            default:
                return RandomNumberGenerator.GetBytes(32);
        }
    }

    /// <param name="keyId">The kid to give it; null to derive it from the public key (RFC 7638).</param>
    public static SecurityKey ToSecurityKey(string algorithm, byte[] material, string? keyId)
    {
        SecurityKey key;
        switch (algorithm)
        {
            case SecurityAlgorithms.RsaSha256:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(material, out _);
                key = new RsaSecurityKey(rsa);
                break;
            case SecurityAlgorithms.EcdsaSha256:
                var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(material, out _);
                key = new ECDsaSecurityKey(ec);
                break;
            default:
                key = new SymmetricSecurityKey(material);
                break;
        }
        // A kid derived from the public key is stable across instances and restarts.
        key.KeyId = keyId ?? Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromSecurityKey(key).ComputeJwkThumbprint());
        return key;
    }
}
