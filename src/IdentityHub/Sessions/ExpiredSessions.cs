using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.Extensions.Options;

namespace IdentityHub.Sessions;

/// <summary>
/// Sessions ended, idle past their end or past their absolute end, and back-channel logouts delivered or abandoned, more
/// than a day ago; logins older than the history's retention (<see cref="HistoryOptions.RetentionDays"/>).
/// </summary>
internal sealed class ExpiredSessions(HubDbContext db, IOptions<HistoryOptions> history) : IExpiredRecords
{
    public async Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
    {
        var threshold = now - ExpiredRecordsCleanup.Retention;
        await batches.DeleteAsync(db.HubSessions.Where(s => s.ExpiresAt < threshold || s.IdleExpiresAt < threshold || s.EndedAt < threshold), s => s.Id, cancellationToken);
        await batches.DeleteAsync(db.BackchannelLogouts.Where(b => b.DeliveredAt < threshold || b.AbandonedAt < threshold), b => b.Id, cancellationToken);
        var forgotten = now - history.Value.Retention;
        await batches.DeleteAsync(db.ConnectionHistory.Where(r => r.At < forgotten), r => r.Id, cancellationToken);
    }
}
