using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Consent;

/// <summary>
/// What a person agreed that one service may receive about them (docs/design.md, "Consent"): one row per person and
/// service, holding every item they agreed to. A request asking for nothing beyond it needs no new agreement.
/// </summary>
public sealed class ConsentRecord
{
    public Guid Id { get; set; }
    public Guid PersonId { get; set; }
    public required string ClientId { get; set; }

    /// <summary>The items agreed to (claim names, <c>offline_access</c>), space-separated in ordinal order.</summary>
    public required string Items { get; set; }

    /// <summary>When the person first agreed.</summary>
    public DateTimeOffset GrantedAt { get; set; }

    /// <summary>When the person last agreed (a new item widens the row).</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class ConsentRecordConfiguration : IEntityTypeConfiguration<ConsentRecord>
{
    public void Configure(EntityTypeBuilder<ConsentRecord> builder)
    {
        builder.ToTable("Consents");
        builder.Property(c => c.ClientId).HasMaxLength(100);
        builder.Property(c => c.Items).HasMaxLength(ConsentItems.MaxLength);
        builder.HasIndex(c => new { c.PersonId, c.ClientId }).IsUnique();
        builder.HasOne<Person>().WithMany().HasForeignKey(c => c.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
