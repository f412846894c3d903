using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Registry;

/// <summary>A national-registry account: how a person proves who they are at the hub's own identity source.</summary>
public sealed class RegistryAccount
{
    public Guid PersonId { get; set; }

    /// <summary>Stored lower-case: usernames are compared case-insensitively.</summary>
    public required string Username { get; set; }

    /// <summary>ASP.NET Core password hasher output (PBKDF2 with a per-hash salt).</summary>
    public required string PasswordHash { get; set; }

    /// <summary>The authenticator app's TOTP secret, protected by data protection; null until the person activates one.</summary>
    public string? TotpSecret { get; set; }

    public DateTimeOffset? TotpEnabledAt { get; set; }

    /// <summary>
    /// The time step of the last code accepted: a code is accepted only for a later step, so each code works once per
    /// account, on every instance (the check and the update are one statement; docs/design.md, "Second factors").
    /// </summary>
    public long? LastTotpStep { get; set; }

    /// <summary>A secret shown on the enrolment page and not yet confirmed with a code (protected like <see cref="TotpSecret"/>).</summary>
    public string? PendingTotpSecret { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class RegistryAccountConfiguration : IEntityTypeConfiguration<RegistryAccount>
{
    public void Configure(EntityTypeBuilder<RegistryAccount> builder)
    {
        builder.ToTable("RegistryAccounts");
        builder.HasKey(a => a.PersonId);
        builder.Property(a => a.Username).HasMaxLength(100);
        builder.HasIndex(a => a.Username).IsUnique();
        builder.Property(a => a.PasswordHash).HasMaxLength(200);
        builder.Property(a => a.TotpSecret).HasMaxLength(500);
        builder.Property(a => a.PendingTotpSecret).HasMaxLength(500);
        builder.HasOne<Person>().WithOne().HasForeignKey<RegistryAccount>(a => a.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
