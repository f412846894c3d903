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
    /// <summary>The longest <see cref="LoginHint"/> kept: as long as a registry username or an e-mail address may be.</summary>
    public const int LoginHintMaxLength = 320;

    /// <summary>The <see cref="ClientId"/> of a journey for the hub's own pages: no registered client can have it.</summary>
    public const string HubPagesClientId = "(hub)";

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

    /// <summary>
    /// <c>login_hint</c> (a longer one is dropped): a source's page fills it in, and the person may change it.
    /// A hint vouches for nobody.
    /// </summary>
    public string? LoginHint { get; set; }

    /// <summary>
    /// Set when the journey logs the person in to one of the hub's own pages (their security settings, say) rather
    /// than to a service: the local path it returns to. Such a journey can never resume an authorization request.
    /// </summary>
    public string? ReturnPath { get; set; }

    /// <summary>
    /// What the person is asked to agree to before the service receives it (<c>Consent.ConsentItems</c>); null when
    /// the service is registered <c>consent: implicit</c> or the journey is for a hub page.
    /// </summary>
    public string? ConsentItems { get; set; }

    /// <summary><c>prompt=consent</c>: the consent page is shown even when an earlier consent covers the items.</summary>
    public bool PromptConsent { get; set; }

    /// <summary>The service asks for <c>enterprise</c>: the person says whom they act for (the acting-for page).</summary>
    public bool AsksEnterprise { get; set; }

    /// <summary>The service serves only people acting for an enterprise: no "as an individual", and none to choose is <c>access_denied</c>.</summary>
    public bool EnterpriseOnly { get; set; }

    /// <summary>
    /// The enterprise chosen on the acting-for page (its tax code, name, the person's role and who vouched); all null
    /// when the person acts as themselves or was not asked.
    /// </summary>
    public string? ActingForId { get; set; }
    public string? ActingForName { get; set; }
    public string? ActingForRole { get; set; }
    public string? ActingForSource { get; set; }

    /// <summary>Where the journey stands: the only step whose page or callback it accepts.</summary>
    public LoginStep Step { get; set; } = LoginStep.Authenticate;

    /// <summary>The hub session the journey ended with, when it ended with one.</summary>
    public string? SessionId { get; set; }

    /// <summary>Set when the journey ended without a login: a code of the hub's error table (the service receives its OAuth error).</summary>
    public string? Error { get; set; }
    public string? ErrorDescription { get; set; }
}

/// <summary>
/// The steps of a login, in order (Login/README.md draws them). Each page or callback of a step accepts a journey only
/// while it is at that step, and moves it on with one conditional update: a bookmarked, replayed or skipped step finds
/// nothing to act on, on any instance.
/// </summary>
public enum LoginStep
{
    /// <summary>Choosing an identity source and proving who one is there, until a source hands over an identity.</summary>
    Authenticate,

    /// <summary>
    /// The person is authenticated (the journey names the session) and says whom they act for: themselves, or one of
    /// the enterprises they represent (the acting-for page; only when the service asks for <c>enterprise</c>).
    /// </summary>
    ActingFor,

    /// <summary>
    /// The person is authenticated (the journey names the session) and is asked to agree to what the service will
    /// receive: <c>Continue</c> or <c>Cancel</c> on the consent page.
    /// </summary>
    Consent,

    /// <summary>Ended, with a session or an error, and waiting for the browser to come back to the authorization endpoint.</summary>
    Resume,

    /// <summary>The service has its answer; nothing more can happen.</summary>
    Done,
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
        builder.Property(j => j.Step).HasConversion<string>().HasMaxLength(16);
        builder.Property(j => j.SessionId).HasMaxLength(43);
        builder.Property(j => j.AskedAcr).HasMaxLength(16);
        builder.Property(j => j.LoginHint).HasMaxLength(LoginJourney.LoginHintMaxLength);
        builder.Property(j => j.ReturnPath).HasMaxLength(200);
        builder.Property(j => j.ConsentItems).HasMaxLength(IdentityHub.Consent.ConsentItems.MaxLength);
        builder.Property(j => j.ActingForId).HasMaxLength(14);
        builder.Property(j => j.ActingForName).HasMaxLength(300);
        builder.Property(j => j.ActingForRole).HasMaxLength(100);
        builder.Property(j => j.ActingForSource).HasMaxLength(64);
        builder.Property(j => j.Error).HasMaxLength(64);
        builder.Property(j => j.ErrorDescription).HasMaxLength(500);
        builder.HasIndex(j => j.ExpiresAt);
    }
}
