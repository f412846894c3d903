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
public sealed class AuthenticationStep(LoginJourneys journeys, SourceCatalog catalog, Reconciliation reconciliation, HubSessions sessions)
{
    /// <summary>
    /// The journey waiting for an identity from <paramref name="sourceId"/>, if it is this browser's, still at
    /// <see cref="LoginStep.Authenticate"/> and offered that source (enabled, of the <paramref name="kind"/> whose page
    /// asks, able to reach the level asked). Otherwise where to send the browser: the error page, or the chooser when
    /// the source cannot be offered.
    /// </summary>
    public async Task<SourceVisit> BeginAsync(HttpContext http, string? journeyId, string sourceId, IdentitySourceKind kind, CancellationToken cancellationToken)
    {
        var lookup = await journeys.FindAsync(http, journeyId, LoginStep.Authenticate, cancellationToken);
        if (lookup.Journey is not { } journey)
        {
            return new SourceVisit(null, LoginJourneys.ErrorUrl(lookup.Error!));
        }
        return await catalog.FindOfferedAsync(sourceId, journey.AskedAcr, cancellationToken) is { } source && source.Kind == kind
            ? new SourceVisit(new PendingAuthentication(journey, source), null)
            : new SourceVisit(null, LoginJourneys.ChooserUrl(journey.Id, unknownSource: true));
    }

    /// <summary>The source has authenticated the person: finish what the journey needs and return where the browser goes next.</summary>
    public async Task<string> CompleteAsync(HttpContext http, PendingAuthentication pending, AuthenticatedIdentity identity, CancellationToken cancellationToken)
    {
        if (identity.SourceId != pending.Source.Id)
        {
            throw new InvalidOperationException($"Source '{pending.Source.Id}' handed over an identity from '{identity.SourceId}'.");
        }
        if (!AssuranceLevels.Satisfies(identity.Acr, pending.AskedAcr))
        {
            return await FailAsync(http, pending, HubErrors.InsufficientAssurance,
                $"The identity source reached {identity.Acr}, below the level asked ({pending.AskedAcr}).", cancellationToken);
        }

        var person = identity.KnownPersonId is { } known
            ? await reconciliation.FindAsync(known, cancellationToken)
            : await ReconcileAsync(identity, cancellationToken);
        if (person is null)
        {
            return await FailAsync(http, pending, HubErrors.IdentityConflict,
                "The identity given by the source does not match the records of the hub.", cancellationToken);
        }

        // The journey is claimed before the session exists: of two submissions racing here, one logs the person in.
        var sessionId = HubSessions.NewId();
        if (!await journeys.EndAuthenticationAsync(http, pending.JourneyId, sessionId, null, null, cancellationToken))
        {
            return LoginJourneys.ErrorUrl(HubErrors.StepOutOfOrder);
        }
        await sessions.StartAsync(http, sessionId, person.Id, identity.SourceId, identity.Acr, string.Join(' ', identity.Amr), identity.AuthenticatedAt, cancellationToken);
        return LoginJourneys.ResumeUrl(pending.Journey);
    }

    /// <summary>
    /// The source could not vouch for the person (an incomplete identity, an answer it refused): the journey ends, and
    /// the error page says why and leads back to the service, which receives the error's OAuth code.
    /// </summary>
    public async Task<string> FailAsync(HttpContext http, PendingAuthentication pending, HubError error, string description, CancellationToken cancellationToken) =>
        await journeys.EndAuthenticationAsync(http, pending.JourneyId, null, error, description, cancellationToken)
            ? LoginJourneys.ErrorUrl(error, pending.JourneyId)
            : LoginJourneys.ErrorUrl(HubErrors.StepOutOfOrder);

    /// <summary>The person cancelled at the source: straight back to the service, as they asked.</summary>
    public Task<string> CancelAsync(HttpContext http, PendingAuthentication pending, CancellationToken cancellationToken) =>
        journeys.CancelAsync(http, pending.Journey, cancellationToken);

    /// <summary>The source cannot be used now (it does not answer): the journey stays open, and the page offers another source.</summary>
    public static string RetryUrl(PendingAuthentication pending, HubError error) => LoginJourneys.ErrorUrl(error, pending.JourneyId);

    /// <summary>The error page for a request that belongs to no journey of this browser (a forged or replayed callback).</summary>
    public static string ErrorUrl(HubError error) => LoginJourneys.ErrorUrl(error);

    /// <summary>The reconciled person; null when the identity contradicts the hub's records.</summary>
    private async Task<Person?> ReconcileAsync(AuthenticatedIdentity identity, CancellationToken cancellationToken) =>
        (await reconciliation.ReconcileAsync(identity.Pivot, identity.IdentityNumber, identity.Contact, cancellationToken)).Person;
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
}

/// <summary>A source's page or callback: the pending authentication it may act on, or where to send the browser instead.</summary>
public sealed record SourceVisit(PendingAuthentication? Pending, string? Elsewhere);
