using System.Collections.Frozen;
using System.Globalization;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Subjects;

/// <summary>Where the value of a claim comes from.</summary>
public enum ClaimOrigin
{
    /// <summary>Made by the hub when the person signs in (<c>sub</c>, <c>acr</c>, ...): no source supplies it.</summary>
    Login,

    /// <summary>An attribute of the person: read from their record, and supplied by a source through its <c>claimMappings</c>.</summary>
    Person,

    /// <summary>The enterprise the person acts for: asserted by a source registered for enterprises.</summary>
    Enterprise,
}

/// <summary>
/// One claim of a scope, and how its value is read from a person's record when it is one of theirs: a string, a
/// boolean, or a JSON object (<c>address</c>).
/// </summary>
public sealed record ClaimDefinition(string Name, ClaimOrigin Origin, Func<Person, object?>? Read = null)
{
    /// <summary>A source may supply it: an attribute of a person or of their enterprise, not something the hub makes.</summary>
    public bool Mappable => Origin is ClaimOrigin.Person or ClaimOrigin.Enterprise && Name != HubClaims.EnterpriseSource;
}

/// <summary>
/// A scope and the claims it releases; <see cref="Served"/> is false while the hub cannot issue its claims yet (no
/// service may be allowed it then).
/// </summary>
public sealed record ScopeDefinition(string Name, IReadOnlyList<ClaimDefinition> Claims, bool Served = true);

/// <summary>
/// The scopes and claims of the hub (docs/integration.md, "Scopes and claims"), in one table that drives claims
/// issuance and userinfo, the scopes the admin API lets a service be allowed, the claims an identity source may map,
/// and discovery's <c>scopes_supported</c> and <c>claims_supported</c>.
/// </summary>
public static class ScopesAndClaims
{
    public const string Birth = "birth";
    public const string IdentityNumber = "identity_number";
    public const string Enterprise = "enterprise";

    public static IReadOnlyList<ScopeDefinition> All { get; } =
    [
        new(Scopes.OpenId,
        [
            new(Claims.Subject, ClaimOrigin.Login), new(HubClaims.IdentitySource, ClaimOrigin.Login),
            new(Claims.AuthenticationContextReference, ClaimOrigin.Login), new(Claims.AuthenticationMethodReference, ClaimOrigin.Login),
            new(Claims.AuthenticationTime, ClaimOrigin.Login), new(HubClaims.SessionId, ClaimOrigin.Login),
        ]),
        new(Scopes.Profile,
        [
            new(Claims.GivenName, ClaimOrigin.Person, p => p.Pivot.GivenName),
            new(Claims.FamilyName, ClaimOrigin.Person, p => p.Pivot.FamilyName),
            new(Claims.PreferredUsername, ClaimOrigin.Person, p => p.PreferredUsername),
            new(Claims.Gender, ClaimOrigin.Person, p => p.Pivot.Gender == Gender.Female ? "female" : "male"),
            new(Claims.Birthdate, ClaimOrigin.Person, p => p.Pivot.Birthdate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        ]),
        new(Birth,
        [
            new(HubClaims.Birthplace, ClaimOrigin.Person, p => p.Pivot.Birthplace),
            new(HubClaims.Birthcountry, ClaimOrigin.Person, p => p.Pivot.Birthcountry),
        ]),
        new(Scopes.Email,
        [
            new(Claims.Email, ClaimOrigin.Person, p => p.Email),
            new(Claims.EmailVerified, ClaimOrigin.Person, p => p.Email is null ? null : p.EmailVerified),
        ]),
        new(Scopes.Phone,
        [
            new(Claims.PhoneNumber, ClaimOrigin.Person, p => p.PhoneNumber),
            new(Claims.PhoneNumberVerified, ClaimOrigin.Person, p => p.PhoneNumber is null ? null : p.PhoneNumberVerified),
        ]),
        new(Scopes.Address, [new(Claims.Address, ClaimOrigin.Person, p => p.Address?.ToClaimValue())]),
        // Restricted by nature: like every scope, only a service whose allowedScopes lists it may ask for it.
        new(IdentityNumber, [new(HubClaims.IdentityNumber, ClaimOrigin.Person, p => p.IdentityNumber)]),
        // The enterprise the person chose to act for on the acting-for page: not a value of their record.
        new(Enterprise,
        [
            new(HubClaims.EnterpriseId, ClaimOrigin.Enterprise), new(HubClaims.EnterpriseName, ClaimOrigin.Enterprise),
            new(HubClaims.EnterpriseRole, ClaimOrigin.Enterprise), new(HubClaims.EnterpriseSource, ClaimOrigin.Enterprise),
        ]),
        new(Scopes.OfflineAccess, []),
    ];

    /// <summary>Every scope of the table, served or not.</summary>
    public static FrozenSet<string> Names { get; } = All.Select(s => s.Name).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The scopes a service may be allowed and an authorization request may ask for, and discovery's <c>scopes_supported</c>.</summary>
    public static IReadOnlyList<string> ServedScopes { get; } = [.. All.Where(s => s.Served).Select(s => s.Name)];

    /// <summary>The claims of the served scopes: discovery's <c>claims_supported</c> (with the token claims of OpenID Connect).</summary>
    public static IReadOnlyList<string> ServedClaims { get; } = [.. All.Where(s => s.Served).SelectMany(s => s.Claims).Select(c => c.Name).Distinct()];

    /// <summary>The claims an identity source may supply through its <c>claimMappings</c>.</summary>
    public static IReadOnlyList<string> MappableClaims { get; } = [.. All.SelectMany(s => s.Claims).Where(c => c.Mappable).Select(c => c.Name).Distinct()];

    private static readonly FrozenDictionary<string, ScopeDefinition> Served = All.Where(s => s.Served).ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>Each claim of a person's record in a served scope, with that scope.</summary>
    private static readonly FrozenDictionary<string, (string Scope, ClaimDefinition Claim)> PersonClaims = All.Where(s => s.Served)
        .SelectMany(s => s.Claims.Where(c => c.Read is not null).Select(c => (s.Name, Claim: c)))
        .ToFrozenDictionary(e => e.Claim.Name, StringComparer.Ordinal);

    /// <summary>
    /// The claims that say something about the person or the enterprise they act for, as opposed to those the hub
    /// makes at sign-in (<c>sub</c>, <c>acr</c>, ...): what the person's connection history lists as sent.
    /// </summary>
    public static FrozenSet<string> PersonalClaims { get; } = All.SelectMany(s => s.Claims)
        .Where(c => c.Origin is ClaimOrigin.Person or ClaimOrigin.Enterprise).Select(c => c.Name).ToFrozenSet(StringComparer.Ordinal);

    public static bool IsServed(string scope) => Served.ContainsKey(scope);

    /// <summary>
    /// Of the claims a request names one by one (the OpenID Connect <c>claims</c> parameter), those the service may
    /// receive: claims of a person's record in a scope it is allowed. Claims the hub does not have, and claims it makes
    /// at sign-in (which every ID token carries anyway), are left out.
    /// </summary>
    public static IReadOnlyList<string> Releasable(IEnumerable<string> requested, IReadOnlySet<string> allowedScopes) =>
        [.. requested.Where(name => PersonClaims.TryGetValue(name, out var entry) && allowedScopes.Contains(entry.Scope)).Distinct()];

    /// <summary>
    /// The names of the personal claims a service receives for <paramref name="scopes"/> and for the claims asked
    /// one by one that <see cref="Releasable"/> let through, whether or not the person's record has a value: what
    /// the person agrees to on the consent page.
    /// </summary>
    public static IReadOnlyList<string> PersonalClaimsOf(IEnumerable<string> scopes, IEnumerable<string> claims) =>
        [.. scopes.Where(Served.ContainsKey).SelectMany(scope => Served[scope].Claims).Where(c => c.Origin is ClaimOrigin.Person or ClaimOrigin.Enterprise).Select(c => c.Name)
            .Concat(claims.Where(PersonClaims.ContainsKey)).Distinct()];

    /// <summary>The claims that describe the enterprise the person acts for: released only when they chose one.</summary>
    public static FrozenSet<string> EnterpriseClaims { get; } = All.Single(s => s.Name == Enterprise).Claims.Select(c => c.Name).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// The claims a person's record yields for the granted scopes, and for the claims asked one by one that
    /// <see cref="Releasable"/> let through, and nothing more: no value, no claim.
    /// </summary>
    public static Dictionary<string, object> ForPerson(Person person, IEnumerable<string> scopes, IEnumerable<string>? claims = null)
    {
        var released = new Dictionary<string, object>(StringComparer.Ordinal);
        void Add(ClaimDefinition claim)
        {
            if (claim.Read?.Invoke(person) is { } value)
            {
                released[claim.Name] = value;
            }
        }
        foreach (var scope in scopes)
        {
            if (Served.TryGetValue(scope, out var definition))
            {
                foreach (var claim in definition.Claims)
                {
                    Add(claim);
                }
            }
        }
        foreach (var name in claims ?? [])
        {
            if (PersonClaims.TryGetValue(name, out var entry))
            {
                Add(entry.Claim);
            }
        }
        return released;
    }
}

/// <summary>Claim types the hub adds to those of OpenID Connect.</summary>
public static class HubClaims
{
    public const string IdentitySource = "idp_id";
    public const string Birthplace = "birthplace";
    public const string Birthcountry = "birthcountry";
    public const string SessionId = "sid";
    public const string IdentityNumber = "identity_number";
    public const string EnterpriseId = "enterprise_id";
    public const string EnterpriseName = "enterprise_name";
    public const string EnterpriseRole = "enterprise_role";
    public const string EnterpriseSource = "enterprise_source";
}
