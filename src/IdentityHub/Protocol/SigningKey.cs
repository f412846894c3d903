using IdentityHub.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Protocol;

/// <summary>
/// A key the hub signs or encrypts tokens with. The private part is stored protected by ASP.NET Core data
/// protection, so a database dump alone does not give it away; every instance reads the same keys. Its status follows
/// from its times and the clock (docs/design.md, "Keys"), so every instance agrees on it without being told.
/// </summary>
public sealed class SigningKey
{
    public required string Id { get; set; }

    /// <summary><c>RS256</c>, <c>ES256</c> or <c>A256KW</c> (the symmetric key protecting codes and refresh tokens).</summary>
    public required string Algorithm { get; set; }

    public required string ProtectedKey { get; set; }

    /// <summary>
    /// The <c>kid</c>: the RFC 7638 thumbprint of an RSA or EC key, the row id of the symmetric key. Null on rows
    /// written before it existed; the key ring fills it in.
    /// </summary>
    public string? KeyId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Published from its creation; signs or encrypts from this moment.</summary>
    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>Leaves JWKS and OpenIddict's keys at this moment: after the last token it protected has expired.</summary>
    public DateTimeOffset? RetiresAt { get; set; }

    public KeySchedule.Window Window => new(KeyId ?? Id, Algorithm, ActivatesAt, CreatedAt, RetiresAt);

    public bool IsRetiredAt(DateTimeOffset now) => RetiresAt <= now;
}

/// <summary>What a key does at a given moment (docs/integration.md, "Admin API").</summary>
public enum KeyStatus
{
    /// <summary>Published, not signing yet.</summary>
    Next,

    /// <summary>Signs (or encrypts) what the hub issues now.</summary>
    Active,

    /// <summary>Published so that what it protected stays valid; signs nothing new.</summary>
    Retiring,

    /// <summary>No longer published nor accepted.</summary>
    Retired,
}

public static class KeyStatuses
{
    /// <summary>The status of each key at <paramref name="now"/>, by row id.</summary>
    public static Dictionary<string, KeyStatus> At(IReadOnlyCollection<SigningKey> keys, DateTimeOffset now)
    {
        var active = keys.Select(k => k.Algorithm).Distinct(StringComparer.Ordinal)
            .Select(algorithm => KeySchedule.Active(keys.Where(k => !k.IsRetiredAt(now)).Select(k => k.Window), algorithm, now)?.KeyId)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        return keys.ToDictionary(k => k.Id, k =>
            k.IsRetiredAt(now) ? KeyStatus.Retired
            : k.ActivatesAt > now ? KeyStatus.Next
            : active.Contains(k.Window.KeyId) ? KeyStatus.Active
            : KeyStatus.Retiring, StringComparer.Ordinal);
    }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> builder)
    {
        builder.ToTable("SigningKeys");
        builder.Property(k => k.Id).HasMaxLength(64);
        builder.Property(k => k.Algorithm).HasMaxLength(16);
        builder.Property(k => k.KeyId).HasMaxLength(128);
        builder.Ignore(k => k.Window);
    }
}
