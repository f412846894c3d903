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

    public int FailedAttempts { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
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
        builder.HasOne<Person>().WithOne().HasForeignKey<RegistryAccount>(a => a.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
