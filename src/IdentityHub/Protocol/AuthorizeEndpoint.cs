using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore;
using IdentityHub.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Localization;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>
/// /connect/authorize, after OpenIddict has validated the request: issue a code for the browser's session
/// when it satisfies the request, otherwise start a login journey.
/// </summary>
internal static class AuthorizeEndpoint
{
    public const string IdpHintParameter = "idp_hint";

    public static async Task<IResult> HandleAsync(HttpContext http, HubDbContext db, LoginJourneys journeys, HubSessions sessions, SourceCatalog catalog, ClaimsIssuance issuance, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        // One read of the service's own settings serves the assurance check and the sector of its subjects.
        var service = await db.RelyingParties.AsNoTracking().Where(r => r.ClientId == request.ClientId)
            .Select(r => new { r.MinimumAcr, r.SectorIdentifier }).FirstOrDefaultAsync(cancellationToken);
        var minimum = service?.MinimumAcr;
        // acr_values and an essential acr in the claims parameter ask alike (CONTRACT section 2); the JSON was
        // checked when the request was validated.
        var essential = AssuranceLevels.EssentialAcrValues((string?)request[Parameters.Claims]) ?? [];
        var asked = AssuranceLevels.Asked(string.Join(' ', [request.AcrValues ?? "", .. essential]), minimum);

        HubSession? session = null;
        if ((string?)request[LoginJourneys.ResumeParameter] is { Length: > 0 } journeyId
            && await journeys.ConsumeAsync(http, journeyId, cancellationToken) is { } outcome)
        {
            if (outcome.Error is not null)
            {
                return Refuse(outcome.Error, outcome.ErrorDescription ?? "The login did not complete.");
            }
            // Whatever page the person went through, the result must meet the level asked.
            if (!AssuranceLevels.Satisfies(outcome.Session!.Acr, asked))
            {
                return Refuse(Errors.AccessDenied, $"The identity source reached {outcome.Session.Acr}, below the level asked ({asked}).");
            }
            session = outcome.Session;
        }
        if (session is null)
        {
            var current = await sessions.FindCurrentAsync(http, cancellationToken);
            if (current is not null && !request.HasPromptValue(PromptValues.Login) && !TooOld(current, request.MaxAge, time)
                && AssuranceLevels.Satisfies(current.Acr, asked))
            {
                session = current;
            }
        }

        if (session is null)
        {
            var offered = await catalog.OfferedAsync(asked, cancellationToken);
            if (offered.Count == 0)
            {
                return Refuse(Errors.AccessDenied, $"No identity source available to this service can reach the level of assurance asked ({asked}).");
            }
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The person must authenticate.");
            }
            RememberUiLocale(http, request.UiLocales);
            var journey = await journeys.StartAsync(http, request.ClientId!, OriginalQuery(request), asked,
                request.HasPromptValue(PromptValues.Login), request.MaxAge, cancellationToken);
            return Results.Redirect(FirstStep(journey, offered, (string?)request[IdpHintParameter]));
        }

        var principal = await issuance.CreatePrincipalAsync(request, session, service?.SectorIdentifier, cancellationToken);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// <c>idp_hint</c> naming an offered source goes straight there; a single offered source needs no choice;
    /// otherwise the chooser, with a notice when the hint named a source that cannot be offered.
    /// </summary>
    private static string FirstStep(LoginJourney journey, IReadOnlyList<IdentitySource> offered, string? hint)
    {
        if (offered.FirstOrDefault(s => s.Id == hint) is { } hinted)
        {
            return SourceCatalog.StartUrl(hinted, journey);
        }
        if (hint is null && offered.Count == 1)
        {
            return SourceCatalog.StartUrl(offered[0], journey);
        }
        var chooser = $"/login/{Uri.EscapeDataString(journey.Id)}";
        return hint is null ? chooser : chooser + "?notice=unknown_source";
    }

    private static bool TooOld(HubSession session, long? maxAge, TimeProvider time) =>
        maxAge is { } seconds && time.GetUtcNow() - session.AuthenticatedAt > TimeSpan.FromSeconds(seconds);

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static string OriginalQuery(OpenIddictRequest request)
    {
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (name, value) in request.GetParameters())
        {
            if (name != LoginJourneys.ResumeParameter)
            {
                query.Add(new(name, (string?)value));
            }
        }
        return QueryString.Create(query).ToUriComponent().TrimStart('?');
    }

    /// <summary><c>ui_locales</c> (OIDC Core 3.1.2.1): the first supported language wins for the hub's pages.</summary>
    private static void RememberUiLocale(HttpContext http, string? uiLocales)
    {
        var culture = uiLocales?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(tag => tag.Split('-')[0].ToLowerInvariant())
            .FirstOrDefault(Localization.LocalizationSetup.SupportedCultures.Contains);
        if (culture is not null)
        {
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, IsEssential = true });
        }
    }
}
