using IdentityHub.Data;
using IdentityHub.Hosting;

namespace IdentityHub.Sessions;

/// <summary>Sessions ended, idle past their end or past their absolute end more than a day ago.</summary>
internal sealed class ExpiredSessions(HubDbContext db) : IExpiredRecords
{
    public Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
    {
        var threshold = now - ExpiredRecordsCleanup.Retention;
        return batches.DeleteAsync(db.HubSessions.Where(s => s.ExpiresAt < threshold || s.IdleExpiresAt < threshold || s.EndedAt < threshold), s => s.Id, cancellationToken);
    }
}
