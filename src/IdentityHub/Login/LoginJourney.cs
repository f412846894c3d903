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

    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? ConsumedAt { get; set; }
    public string? SessionId { get; set; }
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
        builder.HasIndex(j => j.ExpiresAt);
    }
}
