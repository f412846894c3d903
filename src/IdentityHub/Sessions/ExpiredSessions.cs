using IdentityHub.Data;
using IdentityHub.Hosting;

namespace IdentityHub.Sessions;

/// <summary>Sessions ended, idle past their end or past their absolute end, and back-channel logouts delivered or abandoned, more than a day ago.</summary>
internal sealed class ExpiredSessions(HubDbContext db) : IExpiredRecords
{
    public async Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
    {
        var threshold = now - ExpiredRecordsCleanup.Retention;
        await batches.DeleteAsync(db.HubSessions.Where(s => s.ExpiresAt < threshold || s.IdleExpiresAt < threshold || s.EndedAt < threshold), s => s.Id, cancellationToken);
        await batches.DeleteAsync(db.BackchannelLogouts.Where(b => b.DeliveredAt < threshold || b.AbandonedAt < threshold), b => b.Id, cancellationToken);
    }
}
