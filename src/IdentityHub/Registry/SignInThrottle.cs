using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Registry;

/// <summary>
/// Failed sign-ins in a row for one username, known or not, and the lock they led to. Keyed by a keyed hash of the
/// username so that an unknown username locks exactly like a known one: the lock never tells which accounts exist
/// (docs/design.md, "Lock-out"). One row, shared by every instance.
/// </summary>
public sealed class SignInThrottle
{
    /// <summary>HMAC-SHA256 of the normalised username, base64url.</summary>
    public required string Key { get; set; }

    /// <summary>Wrong passwords or codes since the last success or the last lock.</summary>
    public int FailedAttempts { get; set; }

    /// <summary>Locks in a row, which set the length of the next one (1, 5, 15, then 60 minutes).</summary>
    public int Lockouts { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }
    public DateTimeOffset LastFailureAt { get; set; }
}

internal sealed class SignInThrottleConfiguration : IEntityTypeConfiguration<SignInThrottle>
{
    public void Configure(EntityTypeBuilder<SignInThrottle> builder)
    {
        builder.ToTable("SignInThrottles");
        builder.HasKey(t => t.Key);
        builder.Property(t => t.Key).HasMaxLength(43);
        builder.HasIndex(t => t.LastFailureAt);
    }
}
