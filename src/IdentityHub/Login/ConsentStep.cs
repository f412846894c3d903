using System.Globalization;
using IdentityHub.Consent;
using IdentityHub.Data;
using IdentityHub.DataSharing;
using IdentityHub.Errors;
using IdentityHub.Sessions;

namespace IdentityHub.Login;

/// <summary>
/// The consent step of a journey (Login/README.md): the person, authenticated, agrees to what the service will
/// receive or declines. Either way the journey moves on exactly once, on any instance; an agreement is recorded only
/// by the request that moved it.
/// </summary>
public sealed class ConsentStep(HubDbContext db, LoginJourneys journeys, HubSessions sessions, Consents consents, DataProviders providers)
{
    /// <summary>The journey waiting for the person's agreement, with what to show; or where the browser goes instead.</summary>
    public async Task<ConsentVisit> BeginAsync(HttpContext http, string? journeyId, CancellationToken cancellationToken)
    {
        var lookup = await journeys.FindAsync(http, journeyId, LoginStep.Consent, cancellationToken);
        if (lookup.Journey is not { } journey)
        {
            return new ConsentVisit(null, lookup.Elsewhere);
        }
        if (journey.SessionId is null || await sessions.FindActiveAsync(journey.SessionId, cancellationToken) is not { } session)
        {
            // The person logged out (in another tab, say) before agreeing: nobody is signed in to share anything of.
            return new ConsentVisit(null, await journeys.MoveAsync(http, journey, LoginStep.Consent, LoginStep.Resume, null, HubErrors.LoginRequired,
                "The session ended before the person agreed.", cancellationToken) ?? LoginJourneys.ResumeUrl(journey));
        }
        var service = await consents.ServiceNameAsync(journey.ClientId, cancellationToken);
        // Agreed to as the page shows it: acting for an enterprise, or as themselves (nothing of an enterprise then).
        var items = LoginJourneys.ConsentItemsOf(journey, asAnIndividual: journey.ActingForId is null) ?? [];
        // Data another agency holds is named with that agency, in the page's language (docs/design.md, "Data sharing").
        var data = await providers.ScopesAsync(items, cancellationToken);
        var shared = data.GroupBy(d => d.Provider.Id)
            .Select(g => new SharedData(g.First().Provider.DisplayName, [.. g.Select(d => d.Description(CultureInfo.CurrentUICulture))])).ToList();
        return new ConsentVisit(new PendingConsent(journey, session.PersonId, service, items, journey.ActingForName)
        {
            Shared = shared,
            Claims = [.. items.Where(i => !data.Any(d => d.Name == i))],
        }, null);
    }

    /// <summary><c>Continue</c>: the agreement is recorded and the login goes on to the service.</summary>
    public async Task<string> AgreeAsync(HttpContext http, PendingConsent pending, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await journeys.MoveAsync(http, pending.Journey, LoginStep.Consent, LoginStep.Resume, pending.Journey.SessionId, null, null, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }
        await consents.GrantAsync(pending.PersonId, pending.Journey.ClientId, pending.Items, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return LoginJourneys.ResumeUrl(pending.Journey);
    }

    /// <summary><c>Cancel</c>: the service receives <c>access_denied</c>; the person stays signed in at the hub.</summary>
    public async Task<string> DeclineAsync(HttpContext http, PendingConsent pending, CancellationToken cancellationToken) =>
        await journeys.MoveAsync(http, pending.Journey, LoginStep.Consent, LoginStep.Resume, null, HubErrors.ConsentDeclined,
            "The person did not agree to share this information with the service.", cancellationToken)
        ?? LoginJourneys.ResumeUrl(pending.Journey);
}

/// <summary>A journey at its consent step: who agrees, to which service, to what.</summary>
public sealed class PendingConsent
{
    internal PendingConsent(LoginJourney journey, Guid personId, string serviceName, IReadOnlyList<string> items, string? actingFor)
    {
        Journey = journey;
        PersonId = personId;
        ServiceName = serviceName;
        Items = items;
        ActingFor = actingFor;
    }

    internal LoginJourney Journey { get; }
    internal Guid PersonId { get; }

    /// <summary>The service's display name.</summary>
    public string ServiceName { get; }

    /// <summary>Claim names (and <c>offline_access</c>) the service will receive, for the page to put in plain words.</summary>
    public IReadOnlyList<string> Items { get; }

    /// <summary>The name of the enterprise the person acts for in this login; null as an individual.</summary>
    public string? ActingFor { get; }

    /// <summary>The items that are the hub's own claims (and <c>offline_access</c>), without the data of other agencies.</summary>
    public IReadOnlyList<string> Claims { get; init; } = [];

    /// <summary>What each data provider will share with the service, in the page's language.</summary>
    public IReadOnlyList<SharedData> Shared { get; init; } = [];
}

/// <summary>A data provider named on the consent page, and what of its data the service will receive.</summary>
public sealed record SharedData(string ProviderName, IReadOnlyList<string> Data);

/// <summary>The consent page's visit: the pending consent, or where to send the browser instead.</summary>
public sealed record ConsentVisit(PendingConsent? Pending, string? Elsewhere);
