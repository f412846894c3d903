using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Sessions;

/// <summary>Sessions ended or expired, and back-channel logouts delivered or abandoned, more than a day ago.</summary>
internal sealed class ExpiredSessions(HubDbContext db) : IExpiredRecords
{
    public async Task DeleteAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var threshold = now - ExpiredRecordsCleanup.Retention;
        await db.HubSessions.Where(s => s.ExpiresAt < threshold || s.EndedAt < threshold).ExecuteDeleteAsync(cancellationToken);
        await db.BackchannelLogouts.Where(b => b.DeliveredAt < threshold || b.AbandonedAt < threshold).ExecuteDeleteAsync(cancellationToken);
    }
}
