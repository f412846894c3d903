using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Registry;

/// <summary>
/// A passkey (WebAuthn discoverable credential, user verification required) a registry account holder registered.
/// Signing in with one reaches <c>eidas2</c> with <c>hwk mfa</c> (docs/integration.md, "Levels of assurance").
/// </summary>
public sealed class Passkey
{
    /// <summary>The credential id the authenticator chose, base64url (what an assertion names).</summary>
    public required string CredentialId { get; set; }

    public Guid PersonId { get; set; }

    /// <summary>The WebAuthn user handle given at registration; an assertion must carry the same.</summary>
    public required byte[] UserHandle { get; set; }

    /// <summary>The credential's public key, COSE-encoded.</summary>
    public required byte[] PublicKey { get; set; }

    /// <summary>The authenticator's signature counter, to notice a cloned authenticator (WebAuthn 6.1.1).</summary>
    public long SignCount { get; set; }

    public Guid AaGuid { get; set; }

    /// <summary>Transports the browser reported (usb, internal, hybrid...), space-separated, to hint the next ceremony.</summary>
    public string? Transports { get; set; }

    public bool BackupEligible { get; set; }
    public bool BackedUp { get; set; }

    /// <summary>A name the person recognises it by ("Passkey 1", or the name they gave).</summary>
    public required string Name { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>
/// The options of one WebAuthn ceremony (its challenge), kept in the database between the page that starts it and the
/// request that finishes it, so any instance may take the second, and deleted when used so a challenge works once.
/// </summary>
public sealed class PasskeyCeremony
{
    public required string Id { get; set; }

    public PasskeyCeremonyKind Kind { get; set; }

    /// <summary>The options sent to the browser, as Fido2 serialised them.</summary>
    public required string Options { get; set; }

    /// <summary>Registration: who registers. Verification of a second factor: who must answer.</summary>
    public Guid? PersonId { get; set; }

    /// <summary>Sign-in and second factor: the login journey the assertion will complete.</summary>
    public string? JourneyId { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

public enum PasskeyCeremonyKind
{
    Registration,
    Assertion,
}

internal sealed class PasskeyConfiguration : IEntityTypeConfiguration<Passkey>
{
    public void Configure(EntityTypeBuilder<Passkey> builder)
    {
        builder.ToTable("Passkeys");
        builder.HasKey(p => p.CredentialId);
        builder.Property(p => p.CredentialId).HasMaxLength(1400);
        builder.Property(p => p.UserHandle).HasMaxLength(64);
        builder.Property(p => p.PublicKey).HasMaxLength(2048);
        builder.Property(p => p.Transports).HasMaxLength(100);
        builder.Property(p => p.Name).HasMaxLength(100);
        builder.HasIndex(p => p.PersonId);
        builder.HasOne<RegistryAccount>().WithMany().HasForeignKey(p => p.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PasskeyCeremonyConfiguration : IEntityTypeConfiguration<PasskeyCeremony>
{
    public void Configure(EntityTypeBuilder<PasskeyCeremony> builder)
    {
        builder.ToTable("PasskeyCeremonies");
        builder.Property(c => c.Id).HasMaxLength(43);
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Options).HasMaxLength(8000);
        builder.Property(c => c.JourneyId).HasMaxLength(43);
        builder.HasIndex(c => c.ExpiresAt);
    }
}
