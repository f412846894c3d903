using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Enterprises;

/// <summary>An enterprise a person may act for, identified by its tax code (10 digits, or 10 digits-3 digits).</summary>
public sealed class Enterprise
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A person's legal power to represent an enterprise.</summary>
public sealed class Representative
{
    public required string EnterpriseId { get; set; }
    public Guid PersonId { get; set; }
    public required string Role { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class EnterpriseConfiguration : IEntityTypeConfiguration<Enterprise>, IEntityTypeConfiguration<Representative>
{
    public void Configure(EntityTypeBuilder<Enterprise> builder)
    {
        builder.ToTable("Enterprises");
        builder.Property(e => e.Id).HasMaxLength(14);
        builder.Property(e => e.Name).HasMaxLength(300);
    }

    public void Configure(EntityTypeBuilder<Representative> builder)
    {
        builder.ToTable("Representatives");
        builder.HasKey(r => new { r.EnterpriseId, r.PersonId });
        builder.Property(r => r.EnterpriseId).HasMaxLength(14);
        builder.Property(r => r.Role).HasMaxLength(100);
        builder.HasIndex(r => r.PersonId);
        builder.HasOne<Enterprise>().WithMany().HasForeignKey(r => r.EnterpriseId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Person>().WithMany().HasForeignKey(r => r.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
