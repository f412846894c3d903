using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Registry;

/// <summary>
/// One of the ten single-use codes given when an authenticator app is activated, for the day the phone is lost. Only a
/// keyed hash is stored (docs/design.md, "Second factors"); the code itself is shown once.
/// </summary>
public sealed class RecoveryCode
{
    public Guid PersonId { get; set; }

    /// <summary>HMAC-SHA256 of the normalised code, keyed with a secret that is not in the database, base64url.</summary>
    public required string Hash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> builder)
    {
        builder.ToTable("RecoveryCodes");
        builder.HasKey(c => new { c.PersonId, c.Hash });
        builder.Property(c => c.Hash).HasMaxLength(43);
        builder.HasOne<RegistryAccount>().WithMany().HasForeignKey(c => c.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
