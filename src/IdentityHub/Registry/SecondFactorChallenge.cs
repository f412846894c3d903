using IdentityHub.Login;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Registry;

/// <summary>
/// A login journey whose password was right and whose level needs a second factor: the person it is for, and how far
/// they are. The journey stays at its authentication step until the factor is proven (Login/README.md); this row is the
/// registry's own memory of the step, in the database so any instance can take the next request.
/// </summary>
public sealed class SecondFactorChallenge
{
    /// <summary>The login journey (already bound to one browser).</summary>
    public required string JourneyId { get; set; }

    public Guid PersonId { get; set; }

    public SecondFactorStage Stage { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public enum SecondFactorStage
{
    /// <summary>The person has a second factor and must prove it (the second-factor page).</summary>
    Verify,

    /// <summary>The person has none and sets up an authenticator app (the enrolment page).</summary>
    Enrol,

    /// <summary>The app is active and the recovery codes have been shown: the person continues, with <c>pwd otp mfa</c>.</summary>
    Enrolled,
}

internal sealed class SecondFactorChallengeConfiguration : IEntityTypeConfiguration<SecondFactorChallenge>
{
    public void Configure(EntityTypeBuilder<SecondFactorChallenge> builder)
    {
        builder.ToTable("SecondFactorChallenges");
        builder.HasKey(c => c.JourneyId);
        builder.Property(c => c.JourneyId).HasMaxLength(43);
        builder.Property(c => c.Stage).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(c => c.ExpiresAt);
        builder.HasOne<Person>().WithMany().HasForeignKey(c => c.PersonId).OnDelete(DeleteBehavior.Cascade);
        // An expired journey takes its challenge with it.
        builder.HasOne<LoginJourney>().WithOne().HasForeignKey<SecondFactorChallenge>(c => c.JourneyId).OnDelete(DeleteBehavior.Cascade);
    }
}
