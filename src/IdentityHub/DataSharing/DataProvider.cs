using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.DataSharing;

/// <summary>How a data provider knows the people whose records it serves (docs/design.md, "Data sharing").</summary>
public enum ProviderSubject
{
    /// <summary>Its own pairwise <c>sub</c>, for the sector that is the host of its resource URI.</summary>
    Pairwise,

    /// <summary>The national identity number: only for a provider the law entitles to it, recorded by an operator.</summary>
    IdentityNumber,
}

/// <summary>
/// An agency API registered to receive access tokens for its resource (CONTRACT section 8). Its credentials are an
/// OpenIddict application with the same id, allowed the introspection endpoint only; its data scopes are OpenIddict
/// scopes whose only resource is <see cref="Resource"/>.
/// </summary>
public sealed class DataProvider
{
    public required string Id { get; set; }
    public required string DisplayName { get; set; }

    /// <summary>The absolute URI, exactly as registered, that is the <c>aud</c> of its tokens and the <c>resource</c> services ask for.</summary>
    public required string Resource { get; set; }

    public ProviderSubject SubjectIdentifier { get; set; }

    /// <summary>When an operator recorded the provider's entitlement to the identity number; null while it has none.</summary>
    public DateTimeOffset? IdentityNumberEntitledAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The sector of the provider's pairwise subjects: the host of its resource URI (CONTRACT section 8).</summary>
    public string Sector => new Uri(Resource).Host;
}

/// <summary>
/// One answer a provider got at the introspection endpoint about a person: what the person sees under "Data shared
/// between agencies" on /account. Names are kept as they were then, so the line still reads after a provider or a
/// service is removed.
/// </summary>
public sealed class DataRelease
{
    public long Id { get; set; }
    public Guid PersonId { get; set; }
    public required string ProviderId { get; set; }
    public required string ProviderName { get; set; }
    public required string ClientId { get; set; }

    /// <summary>The data scopes released, space-separated.</summary>
    public required string Scopes { get; set; }

    public DateTimeOffset At { get; set; }
}

internal sealed class DataProviderConfiguration : IEntityTypeConfiguration<DataProvider>, IEntityTypeConfiguration<DataRelease>
{
    public void Configure(EntityTypeBuilder<DataProvider> builder)
    {
        builder.ToTable("DataProviders");
        builder.Property(p => p.Id).HasMaxLength(100);
        builder.Property(p => p.DisplayName).HasMaxLength(200);
        builder.Property(p => p.Resource).HasMaxLength(400);
        builder.Property(p => p.SubjectIdentifier).HasConversion<string>().HasMaxLength(20);
        builder.HasIndex(p => p.Resource).IsUnique();
        builder.Ignore(p => p.Sector);
    }

    public void Configure(EntityTypeBuilder<DataRelease> builder)
    {
        builder.ToTable("DataReleases");
        builder.Property(r => r.ProviderId).HasMaxLength(100);
        builder.Property(r => r.ProviderName).HasMaxLength(200);
        builder.Property(r => r.ClientId).HasMaxLength(100);
        builder.Property(r => r.Scopes).HasMaxLength(1000);
        builder.HasIndex(r => new { r.PersonId, r.Id });
        builder.HasIndex(r => r.At);
        builder.HasOne<Subjects.Person>().WithMany().HasForeignKey(r => r.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
