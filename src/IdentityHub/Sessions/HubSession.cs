using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Sessions;

/// <summary>
/// A person's single-sign-on session at the hub. The browser holds a protected cookie naming it; the row is
/// the authority, so ending it here ends it on every instance.
/// </summary>
public sealed class HubSession
{
    /// <summary>The <c>sid</c> claim (OIDC Front/Back-Channel Logout).</summary>
    public required string Id { get; set; }

    public Guid PersonId { get; set; }
    public required string SourceId { get; set; }
    public required string Acr { get; set; }

    /// <summary>Space-separated authentication methods (RFC 8176).</summary>
    public required string Amr { get; set; }

    public DateTimeOffset AuthenticatedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The absolute end: <c>Hub:Sessions:AbsoluteHours</c> after it began.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The idle end: <c>Hub:Sessions:IdleMinutes</c> after its last use, never past <see cref="ExpiresAt"/>.</summary>
    public DateTimeOffset IdleExpiresAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>
    /// The ID token the upstream source issued at this login, data-protected, when that source has an end-session
    /// endpoint: logout sends it back there as <c>id_token_hint</c>. Taken (and cleared) by that logout; otherwise it
    /// goes with the row when ended sessions are pruned (docs/design.md, "Sessions").
    /// </summary>
    public string? ProtectedUpstreamIdToken { get; set; }

    /// <summary>
    /// The enterprises the source said at this login the person represents (JSON, from a source registered for
    /// enterprises only): every service of the session asking for <c>enterprise</c> offers them (docs/design.md,
    /// "Acting for an enterprise").
    /// </summary>
    public string? SourceEnterprises { get; set; }

    /// <summary>The tax code chosen last on the acting-for page in this session (or <see cref="AsAnIndividual"/>): offered first next time.</summary>
    public string? LastActingFor { get; set; }

    /// <summary><see cref="LastActingFor"/> when the person chose to act as themselves.</summary>
    public const string AsAnIndividual = "individual";
}

internal sealed class HubSessionConfiguration : IEntityTypeConfiguration<HubSession>
{
    public void Configure(EntityTypeBuilder<HubSession> builder)
    {
        builder.ToTable("HubSessions");
        builder.Property(s => s.Id).HasMaxLength(43);
        builder.Property(s => s.SourceId).HasMaxLength(64);
        builder.Property(s => s.Acr).HasMaxLength(16);
        builder.Property(s => s.Amr).HasMaxLength(100);
        builder.Property(s => s.SourceEnterprises).HasMaxLength(4000);
        builder.Property(s => s.LastActingFor).HasMaxLength(14);
        builder.HasIndex(s => s.PersonId);
        builder.HasIndex(s => s.ExpiresAt);
        builder.HasIndex(s => s.IdleExpiresAt);
        builder.HasOne<Person>().WithMany().HasForeignKey(s => s.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
