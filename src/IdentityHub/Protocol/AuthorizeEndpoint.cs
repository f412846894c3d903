using IdentityHub.Data;
using IdentityHub.Errors;
using IdentityHub.Login;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>
/// /connect/authorize, after OpenIddict has validated the request: the login journey decides (Login/README.md);
/// this endpoint only reads the request, resumes it, and signs the person in or refuses.
/// </summary>
internal static class AuthorizeEndpoint
{
    public const string IdpHintParameter = "idp_hint";

    /// <summary>What the authorize endpoint needs of a service's own row: kept between requests (<see cref="SettingsChanges"/>).</summary>
    internal sealed record ServiceSettings(string? MinimumAcr, string SectorIdentifier, ConsentMode Consent, bool EnterpriseOnly);

    public static async Task<IResult> HandleAsync(HttpContext http, HubDbContext db, LoginJourneys journeys, ClaimsIssuance issuance, HubSessions sessions,
        SettingsChanges.KeptByKey<ServiceSettings> kept, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        // One read of the service's own settings serves the assurance check and the sector of its subjects; a login
        // comes here twice (the request, then its resumption), and a service's settings rarely change.
        var service = await kept.GetAsync(request.ClientId!, ct => db.RelyingParties.AsNoTracking().Where(r => r.ClientId == request.ClientId)
            .Select(r => new ServiceSettings(r.MinimumAcr, r.SectorIdentifier, r.Consent, r.EnterpriseOnly)).FirstOrDefaultAsync(ct), cancellationToken);
        // acr_values and an essential acr in the claims parameter ask alike (docs/integration.md, "Levels of
        // assurance"); the JSON was checked when the request was validated.
        var essential = AssuranceLevels.EssentialAcrValues((string?)request[Parameters.Claims]) ?? [];
        var asked = AssuranceLevels.Asked(string.Join(' ', [request.AcrValues ?? "", .. essential]), service?.MinimumAcr);

        // An enterprise-only service is registered for the enterprise claims: it gets them whether or not it asked,
        // and everything downstream (consent, claims, history) sees the scope (docs/integration.md, "Enterprises").
        var enterpriseOnly = service?.EnterpriseOnly == true;
        if (enterpriseOnly && !request.HasScope(ScopesAndClaims.Enterprise))
        {
            request.Scope = string.Join(' ', request.GetScopes().Add(ScopesAndClaims.Enterprise));
        }
        // A service without its row of the hub's is a bug elsewhere; asking consent is the safe side.
        var consent = service?.Consent != ConsentMode.Implicit ? await issuance.ConsentItemsAsync(request, cancellationToken)
            : ClaimsIssuance.DataScopesOf(request) is { Count: > 0 } data ? data : null;

        var decision = await journeys.DecideAsync(http, new LoginRequest(
            request.ClientId!, asked, request.HasPromptValue(PromptValues.None), request.HasPromptValue(PromptValues.Login), request.MaxAge,
            (string?)request[IdpHintParameter], request.UiLocales, request.LoginHint, (string?)request[LoginJourneys.ResumeParameter], OriginalQuery(request),
            consent, request.HasPromptValue(PromptValues.Consent),
            AsksEnterprise: request.HasScope(ScopesAndClaims.Enterprise), EnterpriseOnly: enterpriseOnly), cancellationToken);
        return decision switch
        {
            LoginDecision.SignIn signIn when !await HintNamesAsync(http, db, request, signIn.Session, cancellationToken)
                => Refuse(HubErrors.LoginRequired, "The ID token hint names another person than the one signed in."),
            LoginDecision.SignIn { ActingFor: null } when enterpriseOnly
                => Refuse(HubErrors.NoEnterprise, "The service serves only people acting for an enterprise."),
            LoginDecision.SignIn signIn => await SignInAsync(request, signIn, service?.SectorIdentifier, issuance, sessions, cancellationToken),
            LoginDecision.Redirect redirect => Results.Redirect(redirect.Url),
            LoginDecision.Refuse refuse => Refuse(refuse.Error, refuse.Description),
            _ => throw new InvalidOperationException($"Unknown login decision {decision}."),
        };
    }

    private static async Task<IResult> SignInAsync(OpenIddictRequest request, LoginDecision.SignIn signIn, string? sector, ClaimsIssuance issuance, HubSessions sessions,
        CancellationToken cancellationToken)
    {
        var session = signIn.Session;
        var principal = await issuance.CreatePrincipalAsync(request, session, sector, signIn.ActingFor, cancellationToken);
        // Logout tells every service of the session, by the subject it knows (docs/integration.md, "Logout"); the
        // person's history shows what it received, and for whom they acted, as the principal released it.
        await sessions.RecordSignInAsync(session, request.ClientId!, principal.GetClaim(Claims.Subject)!, ClaimsIssuance.Released(principal), cancellationToken,
            principal.GetClaim(HubClaims.EnterpriseId), principal.GetClaim(HubClaims.EnterpriseName));
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// <c>id_token_hint</c> names the person the service expects (OIDC Core 3.1.2.1). OpenIddict has checked its
    /// signature and that it was issued to this service, so its subject is one the hub recorded for this service's
    /// sector; it must be the signed-in person's, or the answer is <c>login_required</c> (docs/integration.md,
    /// "Levels of assurance").
    /// </summary>
    private static async Task<bool> HintNamesAsync(HttpContext http, HubDbContext db, OpenIddictRequest request, HubSession session, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.IdTokenHint))
        {
            return true;
        }
        var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = hint.Principal?.GetClaim(Claims.Subject);
        return subject is not null && await db.SubjectIdentifiers.AnyAsync(s => s.Subject == subject && s.PersonId == session.PersonId, cancellationToken);
    }

    private static IResult Refuse(HubError error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error.OAuthError,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>The request's parameters as a query string, without the journey's own, to resume it later.</summary>
    private static string OriginalQuery(OpenIddictRequest request)
    {
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (name, value) in request.GetParameters())
        {
            if (name == LoginJourneys.ResumeParameter)
            {
                continue;
            }
            // A parameter may be repeated: resource (RFC 8707 2) names one data provider each time.
            foreach (var item in (System.Collections.Immutable.ImmutableArray<string?>?)value ?? [])
            {
                query.Add(new(name, item));
            }
        }
        return QueryString.Create(query).ToUriComponent().TrimStart('?');
    }
}
