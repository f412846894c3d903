using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Sessions;

/// <summary>Sessions ended, idle past their end or past their absolute end more than a day ago.</summary>
internal sealed class ExpiredSessions(HubDbContext db) : IExpiredRecords
{
    public async Task DeleteAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var threshold = now - ExpiredRecordsCleanup.Retention;
        await db.HubSessions.Where(s => s.ExpiresAt < threshold || s.IdleExpiresAt < threshold || s.EndedAt < threshold).ExecuteDeleteAsync(cancellationToken);
    }
}
