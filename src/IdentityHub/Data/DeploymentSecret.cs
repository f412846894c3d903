using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Data;

/// <summary>A secret the hub generated for itself in Development, stored protected by data protection.</summary>
public sealed class DeploymentSecret
{
    public required string Name { get; set; }
    public required string ProtectedValue { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class DeploymentSecretConfiguration : IEntityTypeConfiguration<DeploymentSecret>
{
    public void Configure(EntityTypeBuilder<DeploymentSecret> builder)
    {
        builder.ToTable("DeploymentSecrets");
        builder.HasKey(s => s.Name);
        builder.Property(s => s.Name).HasMaxLength(64);
    }
}
