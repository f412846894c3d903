using System.Security.Cryptography;
using System.Text;
using IdentityHub.Consent;
using IdentityHub.Data;
using IdentityHub.Errors;
using IdentityHub.IdentitySources;
using IdentityHub.Localization;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Login;

/// <summary>
/// The login journey (Login/README.md): decides what an authorization request needs, keeps the request while the
/// person goes through the steps, lets each step act only in its turn, and hands the outcome back to the
/// authorization endpoint exactly once.
/// </summary>
public sealed class LoginJourneys(HubDbContext db, TimeProvider time, HubSessions sessions, SourceCatalog catalog, Consents consents)
{
    /// <summary>The parameter that brings the browser back to <c>/connect/authorize</c> from a journey.</summary>
    public const string ResumeParameter = "hub_journey";

    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private const string BrowserCookie = "hub.browser";

    /// <summary>
    /// What <c>/connect/authorize</c> does with a validated request: the outcome of the journey the browser comes back
    /// from; else the browser's session when it is good enough; else the first step of a new journey.
    /// </summary>
    public async Task<LoginDecision> DecideAsync(HttpContext http, LoginRequest request, CancellationToken cancellationToken)
    {
        if (request.ResumedJourney is { Length: > 0 } journeyId && await ConsumeAsync(http, journeyId, request.ClientId, cancellationToken) is { } ended)
        {
            if (ended.Error is not null)
            {
                return new LoginDecision.Refuse(HubErrors.Find(ended.Error) ?? HubErrors.AccessDenied, ended.ErrorDescription ?? "The login did not complete.");
            }
            if (ended.Session is { } finished)
            {
                // The hand-off checked the level; the request it resumes is checked again, whatever came in between.
                return AssuranceLevels.Satisfies(finished.Acr, request.AskedAcr)
                    ? new LoginDecision.SignIn(finished, ended.ActingFor)
                    : new LoginDecision.Refuse(HubErrors.InsufficientAssurance, $"The identity source reached {finished.Acr}, below the level asked ({request.AskedAcr}).");
            }
        }

        var current = await sessions.FindCurrentAsync(http, cancellationToken);
        if (current is not null && !request.ForceAuthentication && !TooOld(current, request.MaxAge)
            && AssuranceLevels.Satisfies(current.Acr, request.AskedAcr))
        {
            if (request.AsksEnterprise)
            {
                // Whom the person acts for is asked at every login that wants it: the session offers the last choice first.
                if (request.PromptNone)
                {
                    return new LoginDecision.Refuse(HubErrors.InteractionRequired, "The person must say whom they act for.");
                }
                LocalizationSetup.RememberUiLocales(http, request.UiLocales);
                var choosing = await StartAsync(http, request, returnPath: null, cancellationToken, current.Id);
                return new LoginDecision.Redirect(ActingForUrl(choosing.Id));
            }
            if (!await NeedsConsentAsync(current.PersonId, request.ClientId, request.ConsentItems, request.PromptConsent, cancellationToken))
            {
                return new LoginDecision.SignIn(current);
            }
            if (request.PromptNone)
            {
                return new LoginDecision.Refuse(HubErrors.ConsentRequired, "The person has not agreed to what this service asks.");
            }
            // Single sign-on, but the person agrees first: a journey that starts at the consent page.
            LocalizationSetup.RememberUiLocales(http, request.UiLocales);
            var asking = await StartAsync(http, request, returnPath: null, cancellationToken, current.Id);
            return new LoginDecision.Redirect(ConsentUrl(asking.Id));
        }

        var offered = await catalog.OfferedAsync(request.AskedAcr, cancellationToken, request.EnterpriseOnly);
        if (offered.Count == 0)
        {
            return new LoginDecision.Refuse(HubErrors.NoSourceForLevel, request.EnterpriseOnly
                ? $"No identity source available to this service can authenticate people acting for an enterprise at the level asked ({request.AskedAcr ?? "any"})."
                : $"No identity source available to this service can reach the level of assurance asked ({request.AskedAcr}).");
        }
        if (request.PromptNone)
        {
            return new LoginDecision.Refuse(HubErrors.LoginRequired, "The person must authenticate.");
        }
        LocalizationSetup.RememberUiLocales(http, request.UiLocales);
        var journey = await StartAsync(http, request, returnPath: null, cancellationToken);
        return new LoginDecision.Redirect(FirstStep(journey, offered, request.IdpHint));
    }

    /// <summary>
    /// The person signed in for one of the hub's own pages at <paramref name="returnPath"/>, at
    /// <paramref name="askedAcr"/> or above: the browser's session when it is good enough, else where the browser
    /// goes to log in (a journey that comes back to the page), as for a service.
    /// </summary>
    public async Task<HubPageAccess> HubPageAsync(HttpContext http, string? askedAcr, string returnPath, CancellationToken cancellationToken)
    {
        if (!IsLocalPath(returnPath))
        {
            throw new ArgumentException("A hub page's return path is a local path.", nameof(returnPath));
        }
        var current = await sessions.FindCurrentAsync(http, cancellationToken);
        if (current is not null && AssuranceLevels.Satisfies(current.Acr, askedAcr))
        {
            return new HubPageAccess(new SignedInPerson(current.PersonId, current.Acr, current.Id), null);
        }
        var offered = await catalog.OfferedAsync(askedAcr, cancellationToken);
        if (offered.Count == 0)
        {
            return new HubPageAccess(null, ErrorUrl(HubErrors.NoSourceForLevel));
        }
        var journey = await StartAsync(http, new LoginRequest(LoginJourney.HubPagesClientId, askedAcr, PromptNone: false, ForceAuthentication: false,
            MaxAge: null, IdpHint: null, UiLocales: null, LoginHint: null, ResumedJourney: null, Query: ""), returnPath, cancellationToken);
        return new HubPageAccess(null, FirstStep(journey, offered, null));
    }

    /// <summary>
    /// <c>/login/return</c>: a journey for a hub page has ended. The browser goes back to the page (signed in), or to
    /// the hub's home page when the login did not complete.
    /// </summary>
    public async Task<string> ReturnToHubPageAsync(HttpContext http, string? journeyId, CancellationToken cancellationToken)
    {
        var ended = string.IsNullOrEmpty(journeyId) ? null : await ConsumeAsync(http, journeyId, LoginJourney.HubPagesClientId, cancellationToken);
        return ended is { Session: not null, ReturnPath: { } path } ? path : "/";
    }

    /// <summary>
    /// The journey of this browser named <paramref name="id"/>, if it is at <paramref name="step"/>. Otherwise where the
    /// browser goes instead: the error page with <see cref="HubErrors.JourneyExpired"/> when there is no such journey for
    /// this browser (unknown, expired, stolen); back to the authorization request when the journey has ended and its
    /// outcome waits for the browser (a second click on a form whose first click finished the login); the error page
    /// with <see cref="HubErrors.StepOutOfOrder"/> when it is at another step (a bookmarked or replayed page).
    /// </summary>
    public async Task<JourneyLookup> FindAsync(HttpContext http, string? id, LoginStep step, CancellationToken cancellationToken)
    {
        var journey = await FindAsync(http, id, cancellationToken);
        return journey is null ? new JourneyLookup(null, ErrorUrl(HubErrors.JourneyExpired))
            : journey.Step == step ? new JourneyLookup(journey, null)
            : journey.Step == LoginStep.Resume ? new JourneyLookup(null, ResumeUrl(journey))
            : new JourneyLookup(null, ErrorUrl(HubErrors.StepOutOfOrder));
    }

    /// <summary>The journey of this browser named <paramref name="id"/>, at whatever step, unless it has expired.</summary>
    public async Task<LoginJourney?> FindAsync(HttpContext http, string? id, CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        var now = time.GetUtcNow();
        return string.IsNullOrEmpty(id) || binding is null ? null
            : await db.LoginJourneys.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.BrowserBinding == binding && j.ExpiresAt > now, cancellationToken);
    }

    /// <summary>The sources the person may choose from for this journey, each with the address of its first page.</summary>
    public async Task<IReadOnlyList<SourceChoice>> ChoicesAsync(LoginJourney journey, CancellationToken cancellationToken) =>
        [.. (await catalog.OfferedAsync(journey.AskedAcr, cancellationToken, journey.EnterpriseOnly)).Select(s => new SourceChoice(s.DisplayName, SourceUrl(s, journey.Id)))];

    /// <summary>
    /// Ends a journey that is still at <see cref="LoginStep.Authenticate"/>, with a session or an error, in one
    /// conditional update: of two requests ending it at once (a double submit, two instances), one wins. Null for the
    /// winner; for the other, where its browser goes instead (<see cref="FindAsync(HttpContext, string?, LoginStep, CancellationToken)"/>).
    /// </summary>
    /// <param name="next">The step the journey moves to: <see cref="LoginStep.Resume"/>, or <see cref="LoginStep.Consent"/> with a session.</param>
    internal Task<string?> EndAuthenticationAsync(HttpContext http, LoginJourney journey, string? sessionId, HubError? error, string? description,
        CancellationToken cancellationToken, LoginStep next = LoginStep.Resume) =>
        MoveAsync(http, journey, LoginStep.Authenticate, next, sessionId, error, description, cancellationToken);

    /// <summary>
    /// Moves a journey from <paramref name="from"/> to <paramref name="to"/> in one conditional update, as
    /// <see cref="EndAuthenticationAsync"/> does: null for the one request that moved it, else where its browser goes.
    /// </summary>
    internal async Task<string?> MoveAsync(HttpContext http, LoginJourney journey, LoginStep from, LoginStep to, string? sessionId, HubError? error, string? description,
        CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        var now = time.GetUtcNow();
        var code = error?.Code;
        var moved = await db.LoginJourneys
            .Where(j => j.Id == journey.Id && j.BrowserBinding == binding && j.Step == from && j.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Step, to)
                .SetProperty(j => j.SessionId, sessionId)
                .SetProperty(j => j.Error, code)
                .SetProperty(j => j.ErrorDescription, description), cancellationToken);
        return moved == 1 ? null : (await FindAsync(http, journey.Id, from, cancellationToken)).Elsewhere;
    }

    /// <summary>
    /// Moves a journey from <see cref="LoginStep.ActingFor"/> to <paramref name="next"/> with the person's choice
    /// (null: as an individual), in one conditional update: null for the one request that moved it, else where its
    /// browser goes.
    /// </summary>
    internal async Task<string?> ChooseActingForAsync(HttpContext http, LoginJourney journey, LoginStep next, Enterprises.ActingFor? choice, CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        var now = time.GetUtcNow();
        var (id, name, role, source) = (choice?.EnterpriseId, choice?.Name, choice?.Role, choice?.Source);
        var moved = await db.LoginJourneys
            .Where(j => j.Id == journey.Id && j.BrowserBinding == binding && j.Step == LoginStep.ActingFor && j.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Step, next)
                .SetProperty(j => j.ActingForId, id)
                .SetProperty(j => j.ActingForName, name)
                .SetProperty(j => j.ActingForRole, role)
                .SetProperty(j => j.ActingForSource, source), cancellationToken);
        return moved == 1 ? null : (await FindAsync(http, journey.Id, LoginStep.ActingFor, cancellationToken)).Elsewhere;
    }

    /// <summary>The step after a source vouched for the person: whom they act for, if the service asks; else consent, if needed; else the service.</summary>
    internal async Task<LoginStep> StepAfterAuthenticationAsync(LoginJourney journey, Guid personId, CancellationToken cancellationToken) =>
        journey.AsksEnterprise ? LoginStep.ActingFor : await StepAfterActingForAsync(journey, personId, cancellationToken);

    /// <summary>
    /// The step after the acting-for page: consent, if the service asks for it and nothing remembered covers what it
    /// will receive (nothing of an enterprise for a person acting as an individual); else the service.
    /// </summary>
    internal async Task<LoginStep> StepAfterActingForAsync(LoginJourney journey, Guid personId, CancellationToken cancellationToken, bool asAnIndividual = false) =>
        await NeedsConsentAsync(personId, journey.ClientId, ConsentItemsOf(journey, asAnIndividual), journey.PromptConsent, cancellationToken)
            ? LoginStep.Consent
            : LoginStep.Resume;

    /// <summary>What the person agrees to in this journey: the service's items, without the enterprise's when they act as themselves.</summary>
    internal static IReadOnlyList<string>? ConsentItemsOf(LoginJourney journey, bool asAnIndividual) =>
        journey.ConsentItems is not { } items ? null
        : asAnIndividual ? [.. ConsentItems.Split(items).Where(i => !ScopesAndClaims.EnterpriseClaims.Contains(i))]
        : ConsentItems.Split(items);

    /// <summary>The page of <paramref name="step"/> for the journey (the authorization request, resumed, once it has ended).</summary>
    public static string StepUrl(LoginJourney journey, LoginStep step) => step switch
    {
        LoginStep.ActingFor => ActingForUrl(journey.Id),
        LoginStep.Consent => ConsentUrl(journey.Id),
        _ => ResumeUrl(journey),
    };

    /// <summary>
    /// The person must agree before the service receives <paramref name="items"/>: the service asks for consent
    /// (items not null) and either <c>prompt=consent</c> or no earlier consent covers them (docs/design.md, "Consent").
    /// </summary>
    internal async Task<bool> NeedsConsentAsync(Guid personId, string clientId, IReadOnlyCollection<string>? items, bool prompted, CancellationToken cancellationToken) =>
        items is not null && (prompted || !await consents.CoverAsync(personId, clientId, items, cancellationToken));

    /// <summary>
    /// The person gives up before a source has vouched for them (the chooser's or the error page's way back): the
    /// journey ends, and the service receives <c>access_denied</c>.
    /// </summary>
    public async Task<string> CancelAsync(HttpContext http, string? journeyId, CancellationToken cancellationToken)
    {
        var lookup = await FindAsync(http, journeyId, LoginStep.Authenticate, cancellationToken);
        return lookup.Journey is { } journey
            ? await EndAuthenticationAsync(http, journey, null, HubErrors.Cancelled, "The person went back to the service before authenticating.", cancellationToken) ?? ResumeUrl(journey)
            : lookup.Elsewhere!;
    }

    /// <summary>The chooser of the journey, with a notice when the service named a source that cannot be offered.</summary>
    public static string ChooserUrl(string journeyId, bool unknownSource = false) =>
        $"/login/{Uri.EscapeDataString(journeyId)}" + (unknownSource ? "?notice=unknown_source" : "");

    /// <summary>The acting-for page of the journey.</summary>
    public static string ActingForUrl(string journeyId) => $"/acting-for/{Uri.EscapeDataString(journeyId)}";

    /// <summary>The consent page of the journey.</summary>
    public static string ConsentUrl(string journeyId) => $"/consent/{Uri.EscapeDataString(journeyId)}";

    /// <summary>The first page of <paramref name="source"/> for the journey.</summary>
    public static string SourceUrl(IdentitySource source, string journeyId) => source.Kind == IdentitySourceKind.Registry
        ? $"/registry/signin?journey={Uri.EscapeDataString(journeyId)}"
        : $"/federation/{Uri.EscapeDataString(source.Id)}?journey={Uri.EscapeDataString(journeyId)}";

    /// <summary>Where the browser goes once the journey has ended: the original request, resumed (or the hub page it is for).</summary>
    public static string ResumeUrl(LoginJourney journey) => journey.ReturnPath is null
        ? $"/connect/authorize?{journey.AuthorizeQuery}&{ResumeParameter}={Uri.EscapeDataString(journey.Id)}"
        : $"/login/return?{ResumeParameter}={Uri.EscapeDataString(journey.Id)}";

    /// <summary>A path of this hub (not <c>//host</c>, not <c>/\host</c>): the only kind a hub page's journey returns to.</summary>
    public static bool IsLocalPath(string path) =>
        path.StartsWith('/') && !path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("/\\", StringComparison.Ordinal) && path.Length <= 200;

    /// <summary>The hub's error page for <paramref name="error"/>; with the journey, it offers the way back or another source.</summary>
    public static string ErrorUrl(HubError error, string? journeyId = null) =>
        $"/error/{error.Code}" + (journeyId is null ? "" : $"?journey={Uri.EscapeDataString(journeyId)}");

    /// <param name="returnPath">The hub page the journey is for; null for a service's authorization request.</param>
    /// <param name="signedIn">A session already good enough: the journey starts at <see cref="LoginStep.ActingFor"/> or <see cref="LoginStep.Consent"/>.</param>
    private async Task<LoginJourney> StartAsync(HttpContext http, LoginRequest request, string? returnPath, CancellationToken cancellationToken, string? signedIn = null)
    {
        var now = time.GetUtcNow();
        var journey = new LoginJourney
        {
            Id = NewId(),
            BrowserBinding = BindingOf(http, create: true)!,
            ClientId = request.ClientId,
            AuthorizeQuery = request.Query,
            AskedAcr = request.AskedAcr,
            ForceAuthentication = request.ForceAuthentication,
            MaxAge = request.MaxAge,
            LoginHint = request.LoginHint is { Length: > 0 and <= LoginJourney.LoginHintMaxLength } hint ? hint : null,
            ReturnPath = returnPath,
            ConsentItems = request.ConsentItems is { } items ? ConsentItems.Join(items) : null,
            PromptConsent = request.PromptConsent,
            AsksEnterprise = request.AsksEnterprise,
            EnterpriseOnly = request.EnterpriseOnly,
            Step = signedIn is null ? LoginStep.Authenticate : request.AsksEnterprise ? LoginStep.ActingFor : LoginStep.Consent,
            SessionId = signedIn,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        };
        db.LoginJourneys.Add(journey);
        await db.SaveChangesAsync(cancellationToken);
        return journey;
    }

    /// <summary>
    /// <c>idp_hint</c> naming an offered source goes straight there; a single offered source needs no choice;
    /// otherwise the chooser, with a notice when the hint named a source that cannot be offered.
    /// </summary>
    private static string FirstStep(LoginJourney journey, IReadOnlyList<IdentitySource> offered, string? hint)
    {
        if (offered.FirstOrDefault(s => s.Id == hint) is { } hinted)
        {
            return SourceUrl(hinted, journey.Id);
        }
        if (hint is null && offered.Count == 1)
        {
            return SourceUrl(offered[0], journey.Id);
        }
        return ChooserUrl(journey.Id, unknownSource: hint is not null);
    }

    private bool TooOld(HubSession session, long? maxAge) =>
        maxAge is { } seconds && time.GetUtcNow() - session.AuthenticatedAt > TimeSpan.FromSeconds(seconds);

    /// <summary>
    /// Moves an ended journey to <see cref="LoginStep.Done"/> and returns how it ended. The conditional update is atomic,
    /// so a replayed resume URL, in this browser or another, on this instance or another, gets nothing.
    /// </summary>
    /// <param name="clientId">The service resuming it (or <see cref="LoginJourney.HubPagesClientId"/>): a journey ends only for the request it began with.</param>
    private async Task<EndedJourney?> ConsumeAsync(HttpContext http, string id, string clientId, CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        if (binding is null)
        {
            return null;
        }
        // One statement moves the journey and returns how it ended (RETURNING, on PostgreSQL and SQLite alike): every
        // login comes through here once.
        var done = db.Stored<LoginJourney>(nameof(LoginJourney.Step), LoginStep.Done);
        var resume = db.Stored<LoginJourney>(nameof(LoginJourney.Step), LoginStep.Resume);
        var now = db.Stored<LoginJourney>(nameof(LoginJourney.ExpiresAt), time.GetUtcNow());
        var rows = await db.Database.SqlQuery<EndedRow>($"""
            UPDATE "LoginJourneys" SET "Step" = {done}
            WHERE "Id" = {id} AND "BrowserBinding" = {binding} AND "Step" = {resume} AND "ExpiresAt" > {now} AND "ClientId" = {clientId}
            RETURNING "SessionId", "Error", "ErrorDescription", "ReturnPath", "ActingForId", "ActingForName", "ActingForRole", "ActingForSource"
            """).ToListAsync(cancellationToken);
        if (rows is not [var ended])
        {
            return null;
        }
        if (ended.Error is not null)
        {
            return new EndedJourney(null, ended.Error, ended.ErrorDescription, ended.ReturnPath, null);
        }
        var session = ended.SessionId is null ? null : await sessions.FindActiveAsync(ended.SessionId, cancellationToken);
        var actingFor = ended is { ActingForId: { } enterprise, ActingForName: { } name, ActingForSource: { } source }
            ? new Enterprises.ActingFor(enterprise, name, ended.ActingForRole, source)
            : null;
        return session is null ? null : new EndedJourney(session, null, null, ended.ReturnPath, actingFor);
    }

    private static string? BindingOf(HttpContext http, bool create)
    {
        var value = http.Request.Cookies[BrowserCookie];
        if (string.IsNullOrEmpty(value))
        {
            if (!create)
            {
                return null;
            }
            value = NewId();
            http.Response.Cookies.Append(BrowserCookie, value, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                IsEssential = true,
            });
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
    }

    private static string NewId() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private sealed record EndedJourney(HubSession? Session, string? Error, string? ErrorDescription, string? ReturnPath, Enterprises.ActingFor? ActingFor);

    /// <summary>The columns <see cref="ConsumeAsync"/> returns, by name.</summary>
    private sealed class EndedRow
    {
        public string? SessionId { get; init; }
        public string? Error { get; init; }
        public string? ErrorDescription { get; init; }
        public string? ReturnPath { get; init; }
        public string? ActingForId { get; init; }
        public string? ActingForName { get; init; }
        public string? ActingForRole { get; init; }
        public string? ActingForSource { get; init; }
    }
}

/// <summary>A hub page's visitor: who is signed in, or where the browser goes to log in first.</summary>
public sealed record HubPageAccess(SignedInPerson? Session, string? LogInFirst);

/// <summary>The person of the browser's hub session, the level it reached, and the session (its <c>sid</c>).</summary>
public sealed record SignedInPerson(Guid PersonId, string Acr, string SessionId);

/// <summary>A journey found at the step asked for, or where the browser goes instead.</summary>
public sealed record JourneyLookup(LoginJourney? Journey, string? Elsewhere);

/// <summary>One source the chooser offers: its name and the address of its first page.</summary>
public sealed record SourceChoice(string DisplayName, string Url);
