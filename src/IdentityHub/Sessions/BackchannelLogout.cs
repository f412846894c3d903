using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Sessions;

/// <summary>
/// A service that received a code from a hub session, under the subject it knows the person by: who must be told,
/// and how to name the person, when the session ends (OIDC Back-Channel Logout 1.0; docs/integration.md, "Logout").
/// </summary>
public sealed class SessionParticipant
{
    public required string SessionId { get; set; }
    public required string ClientId { get; set; }

    /// <summary>The pairwise <c>sub</c> the service's ID tokens carried.</summary>
    public required string Subject { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A back-channel logout to deliver. The row is written in the request that ends the session and delivered by
/// <see cref="BackchannelLogoutSender"/> on any instance, so logout never waits on a service and a restart loses none.
/// The token is signed at each attempt, not stored: a retry minutes later must not carry an expired token.
/// </summary>
public sealed class BackchannelLogout
{
    public Guid Id { get; set; }
    public required string ClientId { get; set; }
    public required string Uri { get; set; }
    public required string SessionId { get; set; }
    public required string Subject { get; set; }
    public int Attempts { get; set; }

    /// <summary>When the next attempt is due; while an instance sends, its lease (see <see cref="BackchannelLogoutSender"/>).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Set when the last allowed attempt failed: the service is not called again.</summary>
    public DateTimeOffset? AbandonedAt { get; set; }
}

internal sealed class SessionParticipantConfiguration : IEntityTypeConfiguration<SessionParticipant>
{
    public void Configure(EntityTypeBuilder<SessionParticipant> builder)
    {
        builder.ToTable("SessionParticipants");
        builder.HasKey(p => new { p.SessionId, p.ClientId });
        builder.Property(p => p.SessionId).HasMaxLength(43);
        builder.Property(p => p.ClientId).HasMaxLength(100);
        builder.Property(p => p.Subject).HasMaxLength(64);
        builder.HasOne<HubSession>().WithMany().HasForeignKey(p => p.SessionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BackchannelLogoutConfiguration : IEntityTypeConfiguration<BackchannelLogout>
{
    public void Configure(EntityTypeBuilder<BackchannelLogout> builder)
    {
        builder.ToTable("BackchannelLogouts");
        builder.Property(b => b.ClientId).HasMaxLength(100);
        builder.Property(b => b.Uri).HasMaxLength(2000);
        builder.Property(b => b.SessionId).HasMaxLength(43);
        builder.Property(b => b.Subject).HasMaxLength(64);
        builder.HasIndex(b => b.NextAttemptAt);
    }
}
