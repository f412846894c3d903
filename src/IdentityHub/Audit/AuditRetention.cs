using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Audit;

/// <summary>
/// Events older than <c>Hub:History:RetentionDays</c> move to the archive table, unchanged and in chain order, so the
/// live table stays small and the whole chain still verifies (docs/design.md, "Audit trail"). Runs with the cleanup of
/// expired records, under its lock; each batch is one transaction, a copy then the delete the triggers allow only for
/// a copied event. Only a prefix of the chain moves: the first event still within the retention stops the move, even
/// if a later one is older.
/// </summary>
internal sealed class AuditRetention(HubDbContext db, IOptions<HistoryOptions> history) : IExpiredRecords
{
    public const int BatchSize = 1_000;

    private const string Columns = AuditEventConfiguration.AllColumns;

    public async Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
    {
        var cutoff = now - history.Value.Retention;
        while (await MoveAsync(cutoff, cancellationToken) == BatchSize)
        {
        }
    }

    /// <returns>How many events moved.</returns>
    public async Task<int> MoveAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var first = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence != null).OrderBy(e => e.Sequence).Take(BatchSize)
            .Select(e => new { Sequence = e.Sequence!.Value, e.Time }).ToListAsync(cancellationToken);
        var old = first.TakeWhile(e => e.Time < cutoff).ToList();
        if (old.Count == 0)
        {
            return 0;
        }
        var last = old[^1].Sequence;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync(
            $"INSERT INTO \"{AuditEventConfiguration.ArchiveTable}\" ({Columns}) SELECT {Columns} FROM \"{AuditEventConfiguration.EventsTable}\" " +
            $"WHERE \"Sequence\" IS NOT NULL AND \"Sequence\" <= {{0}}", [last], cancellationToken);
        await db.AuditEvents.Where(e => e.Sequence != null && e.Sequence <= last).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return old.Count;
    }
}
