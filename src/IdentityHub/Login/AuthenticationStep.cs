using IdentityHub.Audit;
using IdentityHub.Enterprises;
using IdentityHub.Errors;
using IdentityHub.IdentitySources;
using IdentityHub.Sessions;
using IdentityHub.Subjects;

namespace IdentityHub.Login;

/// <summary>
/// The one hand-off between identity sources and the journey (Login/README.md). A source's page or callback finds its
/// journey here, authenticates the person its own way, and gives back an <see cref="AuthenticatedIdentity"/> (or says
/// why it could not); this step checks the level asked and reconciles the person (the steps later features add, such as
/// a second factor or consent, come next: Login/README.md), and only then starts the hub session and sends the browser
/// back to the authorization request. Sources call nothing else of the journey or the session.
/// </summary>
public sealed class AuthenticationStep(LoginJourneys journeys, SourceCatalog catalog, Reconciliation reconciliation, HubSessions sessions, AuditLog audit)
{
    /// <summary>
    /// The journey waiting for an identity from <paramref name="sourceId"/>, if it is this browser's, still at
    /// <see cref="LoginStep.Authenticate"/> and offered that source (enabled, of the <paramref name="kind"/> whose page
    /// asks, able to reach the level asked). Otherwise where to send the browser: the error page, back to the
    /// authorization request when the journey has already ended, or the chooser when the source cannot be offered.
    /// </summary>
    public async Task<SourceVisit> BeginAsync(HttpContext http, string? journeyId, string sourceId, IdentitySourceKind kind, CancellationToken cancellationToken)
    {
        var lookup = await journeys.FindAsync(http, journeyId, LoginStep.Authenticate, cancellationToken);
        if (lookup.Journey is not { } journey)
        {
            return new SourceVisit(null, lookup.Elsewhere);
        }
        return await OfferedAsync(journey, sourceId, kind, cancellationToken) is { } source
            ? new SourceVisit(new PendingAuthentication(journey, source), null)
            : new SourceVisit(null, LoginJourneys.ChooserUrl(journey.Id, unknownSource: true));
    }

    /// <summary>
    /// The journey an upstream source's callback names, as <see cref="BeginAsync"/> finds it. Null when this browser
    /// has no such journey waiting (the callback is refused). A source that can no longer be offered (disabled, or
    /// registered below the level asked while the person was there) ends the journey with
    /// <see cref="HubErrors.SourceUnavailable"/>, and the visit leads to its error page.
    /// </summary>
    public async Task<SourceVisit?> ReturnAsync(HttpContext http, string journeyId, string sourceId, IdentitySourceKind kind, CancellationToken cancellationToken)
    {
        if ((await journeys.FindAsync(http, journeyId, LoginStep.Authenticate, cancellationToken)).Journey is not { } journey)
        {
            return null;
        }
        if (await OfferedAsync(journey, sourceId, kind, cancellationToken) is { } source)
        {
            return new SourceVisit(new PendingAuthentication(journey, source), null);
        }
        const string Description = "The identity source is no longer available for this login.";
        return new SourceVisit(null, await journeys.EndAuthenticationAsync(http, journey, null, HubErrors.SourceUnavailable, Description, cancellationToken)
            ?? LoginJourneys.ErrorUrl(HubErrors.SourceUnavailable, journey.Id));
    }

    /// <summary>The source has authenticated the person: finish what the journey needs and return where the browser goes next.</summary>
    public async Task<string> CompleteAsync(HttpContext http, PendingAuthentication pending, AuthenticatedIdentity identity, CancellationToken cancellationToken)
    {
        // What a source may say of itself: a source's code that breaks these is a bug, not a person's mistake.
        if (identity.SourceId != pending.Source.Id || AssuranceLevels.Rank(identity.Acr) > AssuranceLevels.Rank(pending.Source.Acr)
            || (identity.KnownPersonId is not null && pending.Source.Kind != IdentitySourceKind.Registry)
            || (identity.UpstreamIdToken is not null && pending.Source.Kind != IdentitySourceKind.Oidc))
        {
            throw new InvalidOperationException($"Source '{pending.Source.Id}' handed over an identity it cannot vouch for.");
        }
        if (!AssuranceLevels.Satisfies(identity.Acr, pending.AskedAcr))
        {
            return await FailAsync(http, pending, HubErrors.InsufficientAssurance,
                $"The identity source reached {identity.Acr}, below the level asked ({pending.AskedAcr}).", cancellationToken);
        }

        var person = identity.KnownPersonId is { } known
            ? await reconciliation.FindAsync(known, cancellationToken)
            : (await reconciliation.ReconcileAsync(identity.Pivot, identity.IdentityNumber, identity.Contact, cancellationToken)).Person;
        if (person is null)
        {
            return await FailAsync(http, pending, HubErrors.IdentityConflict,
                "The identity given by the source does not match the records of the hub.", cancellationToken);
        }

        // The session's row exists before the journey names it, and the browser gets it only once the journey is
        // claimed: of two submissions racing here, one logs the person in and the other follows it.
        // What the source asserted of the person's mandates stays with the session, for every service that asks
        // whom the person acts for (docs/design.md, "Acting for an enterprise").
        // Recorded with the session's row, in its SaveChanges.
        audit.Add(new AuditEntry(AuditTypes.LoginSucceeded)
        {
            Actor = AuditEntry.Person(person.Id),
            Subject = AuditEntry.Person(person.Id),
            Client = pending.Journey.ClientId,
            Source = identity.SourceId,
            Level = identity.Acr,
            Detail = string.Join(' ', identity.Amr),
        });
        var asserted = Representations.Serialize(identity.Enterprises.Select(e => new AssertedRepresentation(e.EnterpriseId, e.Name, e.Role)));
        var session = await sessions.CreateAsync(person.Id, identity.SourceId, identity.Acr, string.Join(' ', identity.Amr), identity.AuthenticatedAt,
            identity.UpstreamIdToken, cancellationToken, asserted);
        // The service learns nothing before the person says whom they act for and agrees, when it asks (docs/design.md, "Consent").
        var journey = pending.Journey;
        var next = await journeys.StepAfterAuthenticationAsync(journey, person.Id, cancellationToken);
        if (await journeys.EndAuthenticationAsync(http, journey, session.Id, null, null, cancellationToken, next) is { } elsewhere)
        {
            await sessions.DiscardAsync(session, cancellationToken);
            return elsewhere;
        }
        await sessions.SignInAsync(http, session, cancellationToken);
        return LoginJourneys.StepUrl(journey, next);
    }

    /// <summary>
    /// The source could not vouch for the person (an incomplete identity, an answer it refused): the journey ends, and
    /// the error page says why and leads back to the service, which receives the error's OAuth code.
    /// </summary>
    public async Task<string> FailAsync(HttpContext http, PendingAuthentication pending, HubError error, string description, CancellationToken cancellationToken)
    {
        await audit.WriteAsync(new AuditEntry(AuditTypes.LoginFailed, AuditOutcomes.Failure)
        {
            Client = pending.Journey.ClientId,
            Source = pending.Source.Id,
            Level = pending.AskedAcr,
            Detail = error.Code,
        }, cancellationToken);
        return await journeys.EndAuthenticationAsync(http, pending.Journey, null, error, description, cancellationToken)
            ?? LoginJourneys.ErrorUrl(error, pending.JourneyId);
    }

    /// <summary>The person cancelled at the source: straight back to the service, as they asked.</summary>
    public async Task<string> CancelAsync(HttpContext http, PendingAuthentication pending, CancellationToken cancellationToken) =>
        await journeys.EndAuthenticationAsync(http, pending.Journey, null, HubErrors.Cancelled, "The person cancelled the login at the identity source.", cancellationToken)
            ?? LoginJourneys.ResumeUrl(pending.Journey);

    /// <summary>
    /// Logout, the other end of the hand-off: the hub's end-session endpoint has ended a session that
    /// <paramref name="sourceId"/> opened and sent the browser to that source's logout with <paramref name="ticket"/>.
    /// Returns where the browser goes after the source, and the ID token the source issued at login, given once (null
    /// for a replayed ticket); null for a forged or expired ticket, one for another source, or one from another browser.
    /// </summary>
    public async Task<(string ReturnUrl, string? IdTokenHint)?> TakeSourceLogoutAsync(HttpContext http, string? ticket, string sourceId,
        CancellationToken cancellationToken) =>
        await sessions.TakeSourceLogoutAsync(http, ticket, sourceId, cancellationToken);

    /// <summary>The source cannot be used now (it does not answer): the journey stays open, and the page offers another source.</summary>
    public static string RetryUrl(PendingAuthentication pending, HubError error) => LoginJourneys.ErrorUrl(error, pending.JourneyId);

    /// <summary>The error page for a request that belongs to no journey of this browser (a forged or replayed callback).</summary>
    public static string ErrorUrl(HubError error) => LoginJourneys.ErrorUrl(error);

    private async Task<IdentitySource?> OfferedAsync(LoginJourney journey, string sourceId, IdentitySourceKind kind, CancellationToken cancellationToken) =>
        await catalog.FindOfferedAsync(sourceId, journey.AskedAcr, cancellationToken, journey.EnterpriseOnly) is { } source && source.Kind == kind ? source : null;
}

/// <summary>A journey waiting for an identity from one offered source, as that source may see it.</summary>
public sealed class PendingAuthentication
{
    internal PendingAuthentication(LoginJourney journey, IdentitySource source)
    {
        Journey = journey;
        Source = source;
    }

    internal LoginJourney Journey { get; }

    /// <summary>The source's registration (claim mappings, level, kind).</summary>
    public IdentitySource Source { get; }

    /// <summary>Carried through the source's own state (the upstream provider's <c>state</c>) to find the journey again.</summary>
    public string JourneyId => Journey.Id;

    public string? AskedAcr => Journey.AskedAcr;

    /// <summary><c>prompt=login</c>: the source must authenticate the person again.</summary>
    public bool ForceAuthentication => Journey.ForceAuthentication;

    /// <summary><c>max_age</c> in seconds, for the source to honour.</summary>
    public long? MaxAge => Journey.MaxAge;

    /// <summary><c>login_hint</c>, for the source's page to fill in: a suggestion the person may change, never proof.</summary>
    public string? LoginHint => Journey.LoginHint;
}

/// <summary>A source's page or callback: the pending authentication it may act on, or where to send the browser instead.</summary>
public sealed record SourceVisit(PendingAuthentication? Pending, string? Elsewhere);
