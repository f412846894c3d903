using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.IdentitySources;

/// <summary>A place where a person can prove who they are: the built-in registry or an upstream OpenID provider.</summary>
public sealed class IdentitySource
{
    public const string RegistryId = "registry";

    public required string Id { get; set; }
    public required string DisplayName { get; set; }
    public IdentitySourceKind Kind { get; set; }

    /// <summary>The highest level of assurance this source can reach.</summary>
    public required string Acr { get; set; }

    public SourceSubjects Subjects { get; set; } = SourceSubjects.Individuals;
    public bool Enabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
}

public enum IdentitySourceKind
{
    Registry,
    Oidc,
}

public enum SourceSubjects
{
    Individuals,
    Enterprises,
    Both,
}

internal sealed class IdentitySourceConfiguration : IEntityTypeConfiguration<IdentitySource>
{
    public void Configure(EntityTypeBuilder<IdentitySource> builder)
    {
        builder.ToTable("IdentitySources");
        builder.Property(s => s.Id).HasMaxLength(64);
        builder.Property(s => s.DisplayName).HasMaxLength(200);
        builder.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Acr).HasMaxLength(16);
        builder.Property(s => s.Subjects).HasConversion<string>().HasMaxLength(16);
    }
}
