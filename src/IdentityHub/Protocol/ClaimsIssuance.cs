using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using IdentityHub.Data;
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
/// sector, the claims of the scopes it was allowed and asked for, and how and when the person authenticated.
/// </summary>
internal sealed class ClaimsIssuance(HubDbContext db, PairwiseSubjects subjects, TimeProvider time)
{
    /// <param name="sectorIdentifier">The service's registered sector; null for a client registered without one.</param>
    public async Task<ClaimsPrincipal> CreatePrincipalAsync(OpenIddictRequest request, HubSession session, string? sectorIdentifier, CancellationToken cancellationToken)
    {
        var person = await db.People.AsNoTracking().SingleAsync(p => p.Id == session.PersonId, cancellationToken);
        var sector = sectorIdentifier ?? (Uri.TryCreate(request.RedirectUri, UriKind.Absolute, out var uri) ? uri.Host : request.ClientId!);
        var subject = await subjects.IssueAsync(db, sector, person.Id, time.GetUtcNow(), cancellationToken);
        var scopes = request.GetScopes();

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        identity.SetClaim(Claims.AuthenticationContextReference, session.Acr);
        identity.SetClaim(HubClaims.IdentitySource, session.SourceId);
        identity.SetClaim(HubClaims.SessionId, session.Id);
        identity.AddClaim(new Claim(Claims.AuthenticationTime, session.AuthenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        // amr is always a JSON array (OIDC Core 2), even with a single method.
        identity.AddClaim(new Claim(Claims.AuthenticationMethodReference, JsonSerializer.Serialize(session.Amr.Split(' ')), JsonClaimValueTypes.JsonArray));
        foreach (var (type, value) in ScopesAndClaims.ForPerson(person, scopes))
        {
            identity.AddClaim(value is bool flag
                ? new Claim(type, flag ? "true" : "false", ClaimValueTypes.Boolean)
                : new Claim(type, (string)value));
        }
        identity.SetScopes(scopes);
        identity.SetDestinations(Destinations);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// The access token carries no personal data (a resource server may log it); identity claims go to the
    /// ID token, and userinfo reads them afresh from the person's record.
    /// </summary>
    private static IEnumerable<string> Destinations(Claim claim) => claim.Type switch
    {
        Claims.Subject or Claims.AuthenticationContextReference or HubClaims.IdentitySource
            => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        _ => [OpenIddictConstants.Destinations.IdentityToken],
    };
}
