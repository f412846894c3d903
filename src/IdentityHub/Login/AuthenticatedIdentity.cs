using IdentityHub.Subjects;

namespace IdentityHub.Login;

/// <summary>
/// What every identity source hands the journey once it has authenticated a person, and the only thing it hands over:
/// the national registry and every upstream provider alike (Login/README.md). From here one step checks the level,
/// reconciles the person and finishes the login; the source knows nothing of sessions or services.
/// </summary>
/// <param name="SourceId">The identity source that authenticated the person (<c>idp_id</c>).</param>
/// <param name="Acr">The level of assurance reached, never more than the source asserted and is registered for.</param>
/// <param name="Amr">How the person authenticated (RFC 8176 values, <c>amr</c>).</param>
/// <param name="AuthenticatedAt">When the source authenticated the person (<c>auth_time</c>).</param>
/// <param name="Pivot">Names, birth date, gender, birthplace and birth country: what reconciliation goes by.</param>
/// <param name="IdentityNumber">The 12-digit national identification number, when the source vouches for one.</param>
/// <param name="Contact">E-mail and phone as the source knows them.</param>
/// <param name="Enterprises">Enterprises the source says the person represents (only from sources registered for enterprises).</param>
public sealed record AuthenticatedIdentity(
    string SourceId,
    string Acr,
    IReadOnlyList<string> Amr,
    DateTimeOffset AuthenticatedAt,
    PivotIdentity Pivot,
    string? IdentityNumber,
    ContactDetails Contact,
    IReadOnlyList<EnterpriseAssertion> Enterprises)
{
    /// <summary>
    /// The hub's record the person proved they are, when the source keeps its accounts on the hub's own records (the
    /// national registry): reconciliation then has nothing to search for.
    /// </summary>
    public Guid? KnownPersonId { get; init; }

    /// <summary>
    /// The ID token an upstream source issued at this login, when the source has an end-session endpoint: the hub
    /// session keeps it so that logout can end the person's session at the source (docs/design.md, "Sessions").
    /// </summary>
    public string? UpstreamIdToken { get; init; }
}

/// <summary>A source's statement that the person may act for an enterprise (its tax code, name and the person's role).</summary>
public sealed record EnterpriseAssertion(string EnterpriseId, string? Name, string? Role);
