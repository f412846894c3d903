using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Protocol;

/// <summary>
/// A key the hub signs or encrypts tokens with. The private part is stored protected by ASP.NET Core data
/// protection, so a database dump alone does not give it away; every instance reads the same keys.
/// </summary>
public sealed class SigningKey
{
    public required string Id { get; set; }

    /// <summary><c>RS256</c>, <c>ES256</c> or <c>A256KW</c> (the symmetric key protecting codes and refresh tokens).</summary>
    public required string Algorithm { get; set; }

    public required string ProtectedKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> builder)
    {
        builder.ToTable("SigningKeys");
        builder.Property(k => k.Id).HasMaxLength(64);
        builder.Property(k => k.Algorithm).HasMaxLength(16);
    }
}
