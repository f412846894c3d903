using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Subjects;

/// <summary>
/// The pairwise <c>sub</c> a sector knows a person by, kept so the hub can go from a token's subject back to
/// the person (userinfo, logout, the citizen's history). The value itself is derived, never chosen.
/// </summary>
public sealed class SubjectIdentifier
{
    public required string Subject { get; set; }
    public required string Sector { get; set; }
    public Guid PersonId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SubjectIdentifierConfiguration : IEntityTypeConfiguration<SubjectIdentifier>
{
    public void Configure(EntityTypeBuilder<SubjectIdentifier> builder)
    {
        builder.ToTable("SubjectIdentifiers");
        builder.HasKey(s => s.Subject);
        builder.Property(s => s.Subject).HasMaxLength(64);
        builder.Property(s => s.Sector).HasMaxLength(253);
        builder.HasIndex(s => new { s.PersonId, s.Sector }).IsUnique();
        builder.HasOne<Person>().WithMany().HasForeignKey(s => s.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
