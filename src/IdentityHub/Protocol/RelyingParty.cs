using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Protocol;

/// <summary>
/// What the hub knows of a service beyond OpenIddict's application row (client id, secret, redirect URIs,
/// permissions live there): the sector its pairwise subjects belong to and its assurance and consent rules.
/// </summary>
public sealed class RelyingParty
{
    public required string ClientId { get; set; }

    /// <summary>Host name that scopes pairwise subjects; by default the host of the redirect URIs.</summary>
    public required string SectorIdentifier { get; set; }

    public string? MinimumAcr { get; set; }
    public ConsentMode Consent { get; set; } = ConsentMode.Explicit;

    /// <summary>The service serves only people acting for an enterprise: an individual login gets <c>access_denied</c>.</summary>
    public bool EnterpriseOnly { get; set; }
    public Uri? BackchannelLogoutUri { get; set; }

    /// <summary><c>client_secret_basic</c>, <c>client_secret_post</c>, <c>private_key_jwt</c>, or <c>none</c> for public clients.</summary>
    public string TokenEndpointAuthMethod { get; set; } = "client_secret_basic";

    /// <summary>Where a <c>private_key_jwt</c> client publishes its keys, when it does not register them inline.</summary>
    public Uri? JwksUri { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum ConsentMode
{
    Explicit,
    Implicit,
}

internal sealed class RelyingPartyConfiguration : IEntityTypeConfiguration<RelyingParty>
{
    public void Configure(EntityTypeBuilder<RelyingParty> builder)
    {
        builder.ToTable("RelyingParties");
        builder.HasKey(r => r.ClientId);
        builder.Property(r => r.ClientId).HasMaxLength(100);
        builder.Property(r => r.SectorIdentifier).HasMaxLength(253);
        builder.Property(r => r.MinimumAcr).HasMaxLength(16);
        builder.Property(r => r.Consent).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.BackchannelLogoutUri).HasMaxLength(2000);
        builder.Property(r => r.TokenEndpointAuthMethod).HasMaxLength(32);
        builder.Property(r => r.JwksUri).HasMaxLength(2000);
    }
}
