using System.Security.Claims;
using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Federation;

public sealed record FederationOutcome(string? ErrorCode);

/// <summary>
/// Turns what a source vouched for into a hub session: map its claims, check the identity is complete and
/// the level is enough, reconcile to one person, then start the session and complete the journey. On any
/// refusal the journey ends with <c>access_denied</c> and a description the service receives.
/// </summary>
public sealed class FederatedSignIn(HubDbContext db, Reconciliation reconciliation, HubSessions sessions, LoginJourneys journeys, TimeProvider time)
{
    public async Task<FederationOutcome> CompleteAsync(HttpContext http, string sourceId, LoginJourney journey, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var source = await db.IdentitySources.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sourceId && s.Enabled, cancellationToken);
        if (source is null)
        {
            return await FailAsync(journey, "source_unavailable", "The identity source is no longer available.", cancellationToken);
        }

        var identity = UpstreamIdentity.From(principal, source);
        if (identity.Pivot is null)
        {
            return await FailAsync(journey, "incomplete_identity",
                $"The identity source did not provide a complete identity (missing or invalid: {string.Join(", ", identity.Missing)}).", cancellationToken);
        }
        if (!AssuranceLevels.Satisfies(identity.Acr, journey.AskedAcr))
        {
            return await FailAsync(journey, "insufficient_assurance",
                $"The identity source reached {identity.Acr}, below the level asked ({journey.AskedAcr}).", cancellationToken);
        }

        var (outcome, person) = await reconciliation.ReconcileAsync(identity.Pivot, identity.IdentityNumber, cancellationToken);
        if (outcome == ReconciliationOutcome.Conflict || person is null)
        {
            return await FailAsync(journey, "identity_conflict", "The identity given by the source does not match the records of the hub.", cancellationToken);
        }
        if (outcome == ReconciliationOutcome.Created || person.Email is null)
        {
            // Contact details of a person the hub did not know come from the source that introduced them.
            person.Email ??= identity.Email;
            person.EmailVerified = person.Email == identity.Email && identity.EmailVerified;
            person.PhoneNumber ??= identity.PhoneNumber;
            person.PhoneNumberVerified = person.PhoneNumber == identity.PhoneNumber && identity.PhoneNumberVerified;
            await db.SaveChangesAsync(cancellationToken);
        }

        var session = await sessions.StartAsync(http, person.Id, source.Id, identity.Acr, identity.Amr, cancellationToken,
            authenticatedAt: identity.AuthenticatedAt ?? time.GetUtcNow());
        await journeys.CompleteAsync(journey, session, cancellationToken);
        return new FederationOutcome(null);
    }

    private async Task<FederationOutcome> FailAsync(LoginJourney journey, string code, string description, CancellationToken cancellationToken)
    {
        await journeys.FailAsync(journey, Errors.AccessDenied, description, cancellationToken);
        return new FederationOutcome(code);
    }
}
