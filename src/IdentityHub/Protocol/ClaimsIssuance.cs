using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Enterprises;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>
/// The one place that decides what a service learns about a person: the pairwise subject for the service's
/// sector, the claims of the scopes it was allowed and asked for (and of the claims it asked for one by one, within
/// those it is allowed), and how and when the person authenticated.
/// </summary>
internal sealed class ClaimsIssuance(HubDbContext db, PairwiseSubjects subjects, IOpenIddictApplicationManager applications, TimeProvider time)
{
    /// <summary>The person's record, and whether the subject the service will know them by is recorded yet: one query per code issued.</summary>
    private static readonly CompiledQueries<Func<HubDbContext, Guid, string, CancellationToken, Task<PersonWithSubject>>> PersonAndSubject = new(() =>
        EF.CompileAsyncQuery((HubDbContext db, Guid personId, string subject, CancellationToken _) => db.People.AsNoTracking()
            .Where(p => p.Id == personId)
            .Select(p => new PersonWithSubject(p, db.SubjectIdentifiers.Any(s => s.Subject == subject)))
            .Single()));

    private sealed record PersonWithSubject(Person Person, bool Recorded);

    /// <param name="sectorIdentifier">The service's registered sector; null for a client registered without one.</param>
    /// <param name="actingFor">The enterprise the person chose to act for; null as an individual (docs/design.md, "Acting for an enterprise").</param>
    public async Task<ClaimsPrincipal> CreatePrincipalAsync(OpenIddictRequest request, HubSession session, string? sectorIdentifier, ActingFor? actingFor,
        CancellationToken cancellationToken)
    {
        var sector = sectorIdentifier ?? (Uri.TryCreate(request.RedirectUri, UriKind.Absolute, out var uri) ? uri.Host : request.ClientId!);
        var subject = subjects.Compute(sector, session.PersonId);
        var (person, recorded) = await PersonAndSubject.For(db)(db, session.PersonId, subject, cancellationToken);
        if (!recorded)
        {
            await PairwiseSubjects.RecordAsync(db, subject, sector, person.Id, time.GetUtcNow(), cancellationToken);
        }
        var scopes = request.GetScopes();

        // The claims parameter asks for claims one by one; the service gets those of the scopes it is allowed, whether
        // or not it asked for the scope itself (docs/integration.md, "Scopes and claims").
        var claimsParameter = (string?)request[Parameters.Claims];
        var allowed = await AllowedScopesAsync(request.ClientId!, cancellationToken);
        var forIdToken = ScopesAndClaims.Releasable(ClaimsRequest.Requested(claimsParameter, ClaimsRequest.IdToken), allowed);
        var forUserInfo = ScopesAndClaims.Releasable(ClaimsRequest.Requested(claimsParameter, ClaimsRequest.UserInfo), allowed);

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        identity.SetClaim(Claims.AuthenticationContextReference, session.Acr);
        identity.SetClaim(HubClaims.IdentitySource, session.SourceId);
        identity.SetClaim(HubClaims.SessionId, session.Id);
        identity.SetClaim(TokenIssueAudit.PersonClaim, person.Id.ToString("D"));
        identity.AddClaim(new Claim(Claims.AuthenticationTime, session.AuthenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        // amr is always a JSON array (OIDC Core 2), even with a single method.
        identity.AddClaim(new Claim(Claims.AuthenticationMethodReference, JsonSerializer.Serialize(session.Amr.Split(' ')), JsonClaimValueTypes.JsonArray));
        foreach (var (type, value) in ScopesAndClaims.ForPerson(person, scopes, forIdToken))
        {
            identity.AddClaim(value switch
            {
                bool flag => new Claim(type, flag ? "true" : "false", ClaimValueTypes.Boolean),
                JsonElement json => new Claim(type, json.GetRawText(), JsonClaimValueTypes.Json),
                _ => new Claim(type, (string)value),
            });
        }
        if (forUserInfo.Count > 0)
        {
            identity.SetClaim(ClaimsRequest.UserInfoClaimType, string.Join(' ', forUserInfo));
        }
        // sub stays the person's: the enterprise is said beside it, and only to a service that asked for it.
        if (actingFor is not null && scopes.Contains(ScopesAndClaims.Enterprise))
        {
            var enterprise = EnterpriseClaims(actingFor);
            foreach (var (type, value) in enterprise)
            {
                identity.SetClaim(type, value);
            }
            identity.SetClaim(ClaimsRequest.ActingForClaimType, JsonSerializer.Serialize(enterprise));
        }
        identity.SetScopes(scopes);
        // The data providers asked for (validated by Protocol/DataAccess): each access token is then for one of them.
        identity.SetResources(request.GetResources());
        identity.SetDestinations(Destinations);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// What the person agrees to before an explicit-consent service receives it (docs/design.md, "Consent"): the
    /// personal claims <see cref="CreatePrincipalAsync"/> would release for this request, and <c>offline_access</c>
    /// when it asks for a refresh token.
    /// </summary>
    public async Task<IReadOnlyList<string>> ConsentItemsAsync(OpenIddictRequest request, CancellationToken cancellationToken)
    {
        var claimsParameter = (string?)request[Parameters.Claims];
        var allowed = await AllowedScopesAsync(request.ClientId!, cancellationToken);
        var asked = ClaimsRequest.Requested(claimsParameter, ClaimsRequest.IdToken).Concat(ClaimsRequest.Requested(claimsParameter, ClaimsRequest.UserInfo));
        var scopes = request.GetScopes();
        var items = ScopesAndClaims.PersonalClaimsOf(scopes, ScopesAndClaims.Releasable(asked, allowed));
        return [.. items, .. scopes.Contains(Scopes.OfflineAccess) ? [Scopes.OfflineAccess] : Array.Empty<string>(), .. DataScopesOf(request)];
    }

    /// <summary>
    /// The data scopes a request asks for: those the hub does not serve itself, which Protocol/DataAccess has checked
    /// are data providers' scopes. A release to a provider always needs the person's agreement, even for a service
    /// registered <c>consent: implicit</c> (docs/design.md, "Data sharing").
    /// </summary>
    public static IReadOnlyList<string> DataScopesOf(OpenIddictRequest request) =>
        [.. request.GetScopes().Where(s => !ScopesAndClaims.IsServed(s))];

    /// <summary>
    /// The personal claims a principal made by <see cref="CreatePrincipalAsync"/> releases: those of its ID token, and
    /// those granted for userinfo (which reads the person's record when asked, so a value added later is sent then).
    /// </summary>
    public static IReadOnlyList<string> Released(ClaimsPrincipal principal) =>
        [.. principal.Claims.Select(c => c.Type)
            .Concat(principal.GetClaim(ClaimsRequest.UserInfoClaimType)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [])
            .Where(ScopesAndClaims.PersonalClaims.Contains)
            .Distinct(StringComparer.Ordinal)];

    /// <summary>The <c>enterprise</c> scope's claims for <paramref name="actingFor"/> (no role claim when none is known).</summary>
    public static Dictionary<string, string> EnterpriseClaims(ActingFor actingFor)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [HubClaims.EnterpriseId] = actingFor.EnterpriseId,
            [HubClaims.EnterpriseName] = actingFor.Name,
            [HubClaims.EnterpriseSource] = actingFor.Source,
        };
        if (actingFor.Role is { } role)
        {
            claims[HubClaims.EnterpriseRole] = role;
        }
        return claims;
    }

    /// <summary>The scopes the service is registered for; <c>openid</c> is always among them.</summary>
    private async Task<HashSet<string>> AllowedScopesAsync(string clientId, CancellationToken cancellationToken)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal) { Scopes.OpenId };
        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is { } application)
        {
            foreach (var permission in await applications.GetPermissionsAsync(application, cancellationToken))
            {
                if (permission.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
                {
                    allowed.Add(permission[Permissions.Prefixes.Scope.Length..]);
                }
            }
        }
        return allowed;
    }

    /// <summary>
    /// The access token carries no personal data (a resource server may log it); identity claims go to the
    /// ID token, and userinfo reads them afresh from the person's record. The claims asked for userinfo travel with
    /// the access token to its row, never inside it (<see cref="ClaimsRequest.UserInfoClaimType"/>).
    /// </summary>
    private static IEnumerable<string> Destinations(Claim claim) => claim.Type switch
    {
        Claims.Subject or Claims.AuthenticationContextReference or HubClaims.IdentitySource
            => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        ClaimsRequest.UserInfoClaimType or ClaimsRequest.ActingForClaimType => [OpenIddictConstants.Destinations.AccessToken],
        _ => [OpenIddictConstants.Destinations.IdentityToken],
    };
}
