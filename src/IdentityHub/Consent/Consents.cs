using IdentityHub.Audit;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Consent;

/// <summary>
/// The consents people gave to services registered <c>consent: explicit</c> (docs/design.md, "Consent"): whether one
/// covers what a service asks, recording one, listing them, and withdrawing one with every token issued under it.
/// </summary>
public sealed class Consents(HubDbContext db, TimeProvider time, AuditLog audit)
{
    /// <summary>The person agreed earlier to everything in <paramref name="items"/> for this service.</summary>
    public async Task<bool> CoverAsync(Guid personId, string clientId, IReadOnlyCollection<string> items, CancellationToken cancellationToken)
    {
        var granted = await db.Consents.AsNoTracking().Where(c => c.PersonId == personId && c.ClientId == clientId)
            .Select(c => c.Items).FirstOrDefaultAsync(cancellationToken);
        return granted is not null && ConsentItems.Covers(granted, items);
    }

    /// <summary>
    /// Records the person's agreement to <paramref name="items"/>, added to what they agreed to before for this
    /// service, so that a service alternating between two requests does not ask each time. Call it inside the
    /// transaction that moves the login on, so an agreement is never recorded for a login that did not go on.
    /// </summary>
    public async Task GrantAsync(Guid personId, string clientId, IReadOnlyCollection<string> items, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var existing = await db.Consents.FirstOrDefaultAsync(c => c.PersonId == personId && c.ClientId == clientId, cancellationToken);
        if (existing is null)
        {
            db.Consents.Add(new ConsentRecord { Id = Guid.NewGuid(), PersonId = personId, ClientId = clientId, Items = ConsentItems.Join(items), GrantedAt = now, UpdatedAt = now });
        }
        else
        {
            existing.Items = ConsentItems.Join([.. ConsentItems.Split(existing.Items), .. items]);
            existing.UpdatedAt = now;
        }
        audit.Add(new AuditEntry(AuditTypes.ConsentGranted)
        {
            Actor = AuditEntry.Person(personId),
            Subject = AuditEntry.Person(personId),
            Client = clientId,
            Detail = string.Join(' ', items),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The person's consents, the most recent first, with the name of each service.</summary>
    public async Task<IReadOnlyList<GivenConsent>> ListAsync(Guid personId, CancellationToken cancellationToken)
    {
        var rows = await db.Consents.AsNoTracking().Where(c => c.PersonId == personId).OrderByDescending(c => c.UpdatedAt)
            .Select(c => new { c.Id, c.ClientId, c.Items, c.GrantedAt, c.UpdatedAt }).ToListAsync(cancellationToken);
        var clientIds = rows.Select(r => r.ClientId).ToList();
        var names = await db.Set<OpenIddictEntityFrameworkCoreApplication>().AsNoTracking().Where(a => clientIds.Contains(a.ClientId!))
            .ToDictionaryAsync(a => a.ClientId!, a => a.DisplayName ?? a.ClientId!, cancellationToken);
        return [.. rows.Select(r => new GivenConsent(r.Id, r.ClientId, names.GetValueOrDefault(r.ClientId, r.ClientId), ConsentItems.Split(r.Items), r.GrantedAt, r.UpdatedAt))];
    }

    /// <summary>The service's name as people see it; the client id when it has none.</summary>
    public async Task<string> ServiceNameAsync(string clientId, CancellationToken cancellationToken) =>
        await db.Set<OpenIddictEntityFrameworkCoreApplication>().AsNoTracking().Where(a => a.ClientId == clientId)
            .Select(a => a.DisplayName).FirstOrDefaultAsync(cancellationToken) ?? clientId;

    /// <summary>
    /// Withdraws one of the person's consents: the row goes, and in the same transaction every token and
    /// authorization the service holds for the person is revoked, so a refresh token or an access token issued under
    /// it stops working at once, on every instance. The next login to that service asks again.
    /// </summary>
    /// <returns>False when the person has no such consent (another person's, or already withdrawn): nothing changes.</returns>
    public async Task<bool> WithdrawAsync(Guid personId, Guid consentId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var clientId = await db.Consents.Where(c => c.Id == consentId && c.PersonId == personId).Select(c => c.ClientId).FirstOrDefaultAsync(cancellationToken);
        if (clientId is null || await db.Consents.Where(c => c.Id == consentId && c.PersonId == personId).ExecuteDeleteAsync(cancellationToken) != 1)
        {
            return false;
        }
        // The service knows the person by the pairwise subject of its sector; the person's subjects are theirs alone.
        var subjects = db.SubjectIdentifiers.Where(s => s.PersonId == personId).Select(s => s.Subject);
        // A new concurrency token makes a refresh racing this withdrawal lose its update, as a replay would.
        var stamp = Guid.NewGuid().ToString();
        await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Application!.ClientId == clientId && subjects.Contains(t.Subject!) && (t.Status == Statuses.Valid || t.Status == Statuses.Inactive))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, Statuses.Revoked).SetProperty(t => t.ConcurrencyToken, stamp), cancellationToken);
        await db.Set<OpenIddictEntityFrameworkCoreAuthorization>()
            .Where(a => a.Application!.ClientId == clientId && subjects.Contains(a.Subject!) && a.Status == Statuses.Valid)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Statuses.Revoked).SetProperty(a => a.ConcurrencyToken, stamp), cancellationToken);
        await audit.WriteAsync(new AuditEntry(AuditTypes.ConsentWithdrawn)
        {
            Actor = AuditEntry.Person(personId),
            Subject = AuditEntry.Person(personId),
            Client = clientId,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}

/// <summary>One consent as the person sees it.</summary>
public sealed record GivenConsent(Guid Id, string ClientId, string ServiceName, IReadOnlyList<string> Items, DateTimeOffset GrantedAt, DateTimeOffset UpdatedAt);
