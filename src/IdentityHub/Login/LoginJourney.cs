using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Login;

/// <summary>
/// One attempt to log a person in to a service: the original authorization request, the browser it belongs
/// to, and what the identity source established. Kept in the database so any hub instance can carry on the
/// journey, and consumed exactly once so a completed journey cannot be replayed.
/// </summary>
public sealed class LoginJourney
{
    public required string Id { get; set; }

    /// <summary>SHA-256 of the browser-binding cookie: a journey link alone is useless in another browser.</summary>
    public required string BrowserBinding { get; set; }

    public required string ClientId { get; set; }

    /// <summary>The authorization request's parameters, as a query string, to resume it after the login.</summary>
    public required string AuthorizeQuery { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The level of assurance the service asked for (acr_values, raised to its minimum); null when none.</summary>
    public string? AskedAcr { get; set; }

    /// <summary><c>prompt=login</c>: the identity source must authenticate the person again.</summary>
    public bool ForceAuthentication { get; set; }

    /// <summary><c>max_age</c> in seconds, passed on to upstream sources.</summary>
    public long? MaxAge { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? ConsumedAt { get; set; }
    public string? SessionId { get; set; }

    /// <summary>Set when the journey ended without a login: the service receives this OAuth error.</summary>
    public string? Error { get; set; }
    public string? ErrorDescription { get; set; }
}

internal sealed class LoginJourneyConfiguration : IEntityTypeConfiguration<LoginJourney>
{
    public void Configure(EntityTypeBuilder<LoginJourney> builder)
    {
        builder.ToTable("LoginJourneys");
        builder.Property(j => j.Id).HasMaxLength(43);
        builder.Property(j => j.BrowserBinding).HasMaxLength(64);
        builder.Property(j => j.ClientId).HasMaxLength(100);
        builder.Property(j => j.AuthorizeQuery).HasMaxLength(8000);
        builder.Property(j => j.SessionId).HasMaxLength(43);
        builder.Property(j => j.AskedAcr).HasMaxLength(16);
        builder.Property(j => j.Error).HasMaxLength(64);
        builder.Property(j => j.ErrorDescription).HasMaxLength(500);
        builder.HasIndex(j => j.ExpiresAt);
    }
}
