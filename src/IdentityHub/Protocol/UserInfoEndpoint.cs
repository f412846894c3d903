using IdentityHub.Data;
using IdentityHub.Errors;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

internal static class UserInfoEndpoint
{
    /// <summary>One round trip from the pairwise subject to the person's current record, compiled once per model.</summary>
    private static readonly CompiledQueries<Func<HubDbContext, string, CancellationToken, Task<Person?>>> PersonBySubject = new(() =>
        EF.CompileAsyncQuery((HubDbContext db, string subject, CancellationToken _) => db.SubjectIdentifiers.AsNoTracking()
            .Where(s => s.Subject == subject)
            .Join(db.People, s => s.PersonId, p => p.Id, (_, p) => p)
            .FirstOrDefault()));

    /// <summary>
    /// OIDC Core 5.3: the claims of the token's scopes, and those its authorization request asked for userinfo (Core
    /// 5.5), read from the person's current record.
    /// </summary>
    public static async Task<IResult> HandleAsync(HttpContext http, HubDbContext db, IOpenIddictTokenManager tokens, CancellationToken cancellationToken)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = result.Principal?.GetClaim(Claims.Subject);
        var person = subject is null ? null : await PersonBySubject.For(db)(db, subject, cancellationToken);
        if (person is null)
        {
            // A client's own token (client_credentials) or a person since removed: nobody to describe.
            return Results.Challenge(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = HubErrors.InvalidToken.OAuthError,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The access token does not designate a person.",
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        // OIDC Core 5.3: userinfo answers an access token of an OpenID Connect grant. A token for a data provider has
        // only that provider's scopes, and the provider's subject, which the service must never learn.
        if (!result.Principal!.HasScope(Scopes.OpenId))
        {
            return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = HubErrors.InsufficientScope.OAuthError,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The access token was not issued for userinfo (scope openid).",
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }
        var (requested, enterprise) = await ClaimsRequest.ForUserInfoAsync(tokens, result.Principal!, cancellationToken);
        var scopes = result.Principal!.GetScopes();
        var claims = ScopesAndClaims.ForPerson(person, scopes, requested);
        if (scopes.Contains(ScopesAndClaims.Enterprise))
        {
            foreach (var (type, value) in enterprise.Where(e => ScopesAndClaims.EnterpriseClaims.Contains(e.Key)))
            {
                claims[type] = value;
            }
        }
        claims[Claims.Subject] = subject!;
        if (result.Principal!.GetClaim(HubClaims.IdentitySource) is { } source)
        {
            claims[HubClaims.IdentitySource] = source;
        }
        return Results.Json(claims);
    }
}
