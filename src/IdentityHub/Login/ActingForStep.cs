using IdentityHub.Consent;
using IdentityHub.Enterprises;
using IdentityHub.Errors;
using IdentityHub.IdentitySources;
using IdentityHub.Sessions;

namespace IdentityHub.Login;

/// <summary>
/// The acting-for step of a journey (Login/README.md, docs/design.md "Acting for an enterprise"): a service asks for
/// <c>enterprise</c>, and the person, authenticated, says whom they act for: themselves, or one of the enterprises the
/// registry or the session's source says they represent. Nothing else can be chosen, whatever the form says.
/// </summary>
public sealed class ActingForStep(LoginJourneys journeys, HubSessions sessions, Representations representations, Consents consents)
{
    /// <summary>The form's value for acting as oneself; an enterprise is chosen by its tax code.</summary>
    public const string AsAnIndividual = HubSession.AsAnIndividual;

    /// <summary>The journey waiting for the person's choice, with what to offer; or where the browser goes instead.</summary>
    public async Task<ActingForVisit> BeginAsync(HttpContext http, string? journeyId, CancellationToken cancellationToken)
    {
        var lookup = await journeys.FindAsync(http, journeyId, LoginStep.ActingFor, cancellationToken);
        if (lookup.Journey is not { } journey)
        {
            return new ActingForVisit(null, lookup.Elsewhere);
        }
        if (journey.SessionId is null || await sessions.FindActiveAsync(journey.SessionId, cancellationToken) is not { } session)
        {
            return new ActingForVisit(null, await journeys.MoveAsync(http, journey, LoginStep.ActingFor, LoginStep.Resume, null, HubErrors.LoginRequired,
                "The session ended before the person said whom they act for.", cancellationToken) ?? LoginJourneys.ResumeUrl(journey));
        }
        var options = await representations.OptionsAsync(session.PersonId, IdentitySource.RegistryId, session.SourceId, session.SourceEnterprises, session.LastActingFor,
            cancellationToken);
        if (options.Count == 0 && journey.EnterpriseOnly)
        {
            // A service only for enterprises, and nobody vouches that this person represents one: the error page says
            // so and leads back to the service, which receives access_denied.
            return new ActingForVisit(null, await journeys.MoveAsync(http, journey, LoginStep.ActingFor, LoginStep.Resume, null, HubErrors.NoEnterprise,
                "The person represents no enterprise, and the service serves only enterprises.", cancellationToken)
                ?? LoginJourneys.ErrorUrl(HubErrors.NoEnterprise, journey.Id));
        }
        var service = await consents.ServiceNameAsync(journey.ClientId, cancellationToken);
        // The last choice of the session comes first; as an individual when that was it, or nothing else was chosen.
        var preselected = session.LastActingFor is { } last && (last == AsAnIndividual ? !journey.EnterpriseOnly : options.Any(o => o.EnterpriseId == last))
            ? last
            : journey.EnterpriseOnly ? options[0].EnterpriseId : AsAnIndividual;
        return new ActingForVisit(new PendingActingFor(journey, session, service, options, !journey.EnterpriseOnly, preselected), null);
    }

    /// <summary>
    /// <c>Continue</c> with <paramref name="choice"/> (a tax code among the options, or <see cref="AsAnIndividual"/> where
    /// allowed): the journey goes on to consent or to the service. Null when the choice is not one offered (the page is
    /// shown again).
    /// </summary>
    public async Task<string?> ChooseAsync(HttpContext http, PendingActingFor pending, string? choice, CancellationToken cancellationToken)
    {
        ActingFor? chosen = null;
        if (choice != AsAnIndividual || !pending.IndividualAllowed)
        {
            chosen = pending.Options.FirstOrDefault(o => o.EnterpriseId == choice);
            if (chosen is null)
            {
                return null;
            }
        }
        var next = await journeys.StepAfterActingForAsync(pending.Journey, pending.Session.PersonId, cancellationToken, asAnIndividual: chosen is null);
        if (await journeys.ChooseActingForAsync(http, pending.Journey, next, chosen, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }
        await sessions.RememberActingForAsync(pending.Session.Id, chosen?.EnterpriseId ?? AsAnIndividual, cancellationToken);
        return LoginJourneys.StepUrl(pending.Journey, next);
    }
}

/// <summary>A journey at its acting-for step: the service, the enterprises the person may act for, and what is chosen first.</summary>
public sealed class PendingActingFor
{
    internal PendingActingFor(LoginJourney journey, HubSession session, string serviceName, IReadOnlyList<ActingFor> options, bool individualAllowed, string preselected)
    {
        Journey = journey;
        Session = session;
        ServiceName = serviceName;
        Options = options;
        IndividualAllowed = individualAllowed;
        Preselected = preselected;
    }

    internal LoginJourney Journey { get; }
    internal HubSession Session { get; }

    /// <summary>The service's display name.</summary>
    public string ServiceName { get; }

    /// <summary>The enterprises the person may act for, the session's last choice first.</summary>
    public IReadOnlyList<ActingFor> Options { get; }

    /// <summary>False for a service only for enterprises: "As an individual" is not offered.</summary>
    public bool IndividualAllowed { get; }

    /// <summary>The value checked when the page opens: the session's last choice when it is offered again.</summary>
    public string Preselected { get; }
}

/// <summary>The acting-for page's visit: the pending choice, or where to send the browser instead.</summary>
public sealed record ActingForVisit(PendingActingFor? Pending, string? Elsewhere);
