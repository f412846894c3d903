using System.Security.Cryptography;
using System.Text;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdentityHub.Protocol;

/// <summary>
/// OpenIddict's application manager with two changes for the token endpoint's hot path. Client definitions come from
/// <see cref="ClientCache"/> (each write here empties every instance's copy). Client secrets are checked in
/// microseconds instead of milliseconds: OpenIddict stores secrets as PBKDF2 hashes, which protect low-entropy
/// passwords, at about 2.5 ms of CPU per token request (bench/README.md). The hub's secrets are 256 random bits it
/// generates itself (and the bootstrap secret must be long): guessing one is out of reach with or without key
/// stretching, so a SHA-256 digest compared in constant time is as safe. Hashes written by OpenIddict's default (no
/// prefix) are still accepted.
/// </summary>
internal sealed class HubApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    ClientCache clients,
    HubDbContext db)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    private const string Prefix = "sha256:";

    // Entities this request already holds, by id: the context must never see two instances of one row.
    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreApplication> held = new(StringComparer.Ordinal);

    public override async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken = default)
    {
        if (clients.TryGetByClientId(identifier, out var snapshot))
        {
            return Hold(snapshot) ?? await base.FindByClientIdAsync(identifier, cancellationToken);
        }
        var generation = clients.Generation;
        return Remember(generation, await base.FindByClientIdAsync(identifier, cancellationToken));
    }

    public override async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByIdAsync(string identifier, CancellationToken cancellationToken = default)
    {
        if (clients.TryGetById(identifier, out var snapshot))
        {
            return Hold(snapshot) ?? await base.FindByIdAsync(identifier, cancellationToken);
        }
        var generation = clients.Generation;
        return Remember(generation, await base.FindByIdAsync(identifier, cancellationToken));
    }

    private OpenIddictEntityFrameworkCoreApplication? Remember(long generation, OpenIddictEntityFrameworkCoreApplication? application)
    {
        if (application?.Id is { } id)
        {
            held[id] = application;
            clients.Store(generation, application);
        }
        return application;
    }

    /// <summary>
    /// A fresh entity per request, attached as unchanged: tokens created in this request can reference it without the
    /// store reading the row again, and no entity instance is ever shared between two requests' contexts. Null when
    /// the context already tracks that row through another path (the caller then reads it the usual way).
    /// </summary>
    private OpenIddictEntityFrameworkCoreApplication? Hold(ClientCache.Snapshot snapshot)
    {
        if (held.TryGetValue(snapshot.Id, out var application))
        {
            return application;
        }
        application = snapshot.ToEntity();
        try
        {
            db.Attach(application);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        held[snapshot.Id] = application;
        return application;
    }

    public override async ValueTask CreateAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        await base.CreateAsync(application, cancellationToken);
        await ChangedAsync(cancellationToken);
    }

    public override async ValueTask UpdateAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        await base.UpdateAsync(application, cancellationToken);
        await ChangedAsync(cancellationToken);
    }

    public override async ValueTask DeleteAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        await base.DeleteAsync(application, cancellationToken);
        await ChangedAsync(cancellationToken);
    }

    /// <summary>
    /// Empties this instance's copy now, and every instance's when the change commits: PostgreSQL delivers a
    /// notification sent inside a transaction at commit (and never if it rolls back).
    /// </summary>
    private async Task ChangedAsync(CancellationToken cancellationToken)
    {
        held.Clear();
        clients.Clear();
        if (db.IsPostgres)
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_notify('{ClientCache.Channel}', '')", cancellationToken);
        }
    }

    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Prefix + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(secret))));

    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (!comparand.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return base.ValidateClientSecretAsync(secret, comparand, cancellationToken);
        }
        Span<byte> expected = stackalloc byte[32];
        if (!Convert.TryFromBase64String(comparand[Prefix.Length..], expected, out var written) || written != 32)
        {
            return ValueTask.FromResult(false);
        }
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), actual);
        return ValueTask.FromResult(CryptographicOperations.FixedTimeEquals(actual, expected));
    }
}
