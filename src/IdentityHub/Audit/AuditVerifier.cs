using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Audit;

/// <summary>What <c>audit verify</c> found: the chain intact, or the first event altered, inserted or removed.</summary>
public sealed record AuditVerification(bool Intact, long Events, string? Problem = null, Guid? EventId = null)
{
    /// <summary>Events not sealed yet: intact as far as their own MAC goes, not yet protected against removal.</summary>
    public long Unsealed { get; init; }

    /// <summary>The oldest unsealed event's time, when one is older than <see cref="AuditVerifier.SealingBound"/>.</summary>
    public DateTimeOffset? StaleSince { get; init; }
}

/// <summary>
/// Walks the chain from its first event, through the archive then the live table, and checks every event's MAC, every
/// link and the head (docs/design.md, "Audit trail"). Reads only, so it may run beside running hubs.
/// </summary>
public sealed class AuditVerifier(HubDbContext db, AuditChain chain, TimeProvider time)
{
    /// <summary>An instance seals every second; an event older than this and still unsealed means no hub is sealing.</summary>
    public static readonly TimeSpan SealingBound = TimeSpan.FromMinutes(5);

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        // The head first: events sealed after it was read are beyond it, and not counted this time.
        // One snapshot for the whole walk: the archive's moves and the sealer's passes meanwhile are not seen half-done.
        await using var snapshot = await db.Database.BeginTransactionAsync(
            db.IsPostgres ? System.Data.IsolationLevel.RepeatableRead : System.Data.IsolationLevel.Serializable, cancellationToken);
        var head = await db.AuditChainHeads.AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        var walk = new Walk(chain, head);
        await foreach (var e in db.ArchivedAuditEvents.AsNoTracking().OrderBy(e => e.Sequence).ThenBy(e => e.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (walk.Step(e) is { } broken)
            {
                return broken;
            }
        }
        var last = head?.Sequence ?? 0;
        await foreach (var e in db.AuditEvents.AsNoTracking().Where(e => e.Sequence != null && e.Sequence <= last).OrderBy(e => e.Sequence).ThenBy(e => e.Id)
            .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (walk.Step(e) is { } broken)
            {
                return broken;
            }
        }
        if (walk.End() is { } cut)
        {
            return cut;
        }

        // Beyond the head: sealed since it was read (fine), or written into the chain by hand (not linked to the head).
        long unsealed = 0;
        DateTimeOffset? oldest = null;
        await foreach (var e in db.AuditEvents.AsNoTracking().Where(e => e.Sequence == null || e.Sequence > last).OrderBy(e => e.Time)
            .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (!AuditChain.Same(e.Mac, chain.ContentMac(e)))
            {
                return new(false, walk.Count, e.Sequence is null ? "altered or inserted (not sealed yet)" : "inserted", e.Id);
            }
            if (e.Sequence is null)
            {
                unsealed++;
                oldest ??= e.Time;
            }
        }
        var stale = oldest is { } t && time.GetUtcNow() - t > SealingBound ? oldest : null;
        return new(true, walk.Count) { Unsealed = unsealed, StaleSince = stale };
    }

    private sealed class Walk(AuditChain chain, AuditChainHead? head)
    {
        private long _expected = 1;
        private Guid? _previousId;
        private byte[] _previousHash = AuditChain.Origin;

        public long Count { get; private set; }

        public AuditVerification? Step(AuditRecord e)
        {
            if (head is null)
            {
                return Broken("removed (the chain's head row)", null);
            }
            if (e.Sequence is not { } sequence || e.Sequence < _expected || sequence > head.Sequence)
            {
                return Broken("inserted", e.Id);
            }
            var contentOk = AuditChain.Same(e.Mac, chain.ContentMac(e));
            var linkOk = e.PreviousHash is not null && AuditChain.Same(e.Hash, chain.LinkMac(sequence, e.Id, e.Mac, e.PreviousId, e.PreviousHash));
            if (sequence > _expected)
            {
                // The event sealed before this one is not there.
                return linkOk ? Broken("removed", e.PreviousId ?? e.Id) : Broken(contentOk ? "altered" : "inserted", e.Id);
            }
            if (!contentOk || !linkOk || e.PreviousId != _previousId || !AuditChain.Same(e.PreviousHash, _previousHash))
            {
                // Neither MAC holds: the hub never wrote this event. One of them holds: the hub wrote it, and it changed since.
                return Broken(!contentOk && !linkOk ? "inserted" : "altered", e.Id);
            }
            _expected = sequence + 1;
            _previousId = e.Id;
            _previousHash = e.Hash!;
            Count++;
            return null;
        }

        public AuditVerification? End()
        {
            if (head is null)
            {
                return null;
            }
            if (!AuditChain.Same(head.Mac, chain.HeadMac(head.Sequence, head.EventId, head.Hash)))
            {
                return Broken("altered (the chain's head)", head.EventId);
            }
            if (head.Sequence != _expected - 1 || head.EventId != _previousId || !AuditChain.Same(head.Hash, _previousHash))
            {
                // The chain ends before the head says it does: its last events were removed.
                return Broken("removed", head.EventId);
            }
            return null;
        }

        private AuditVerification Broken(string problem, Guid? id) => new(false, Count, problem, id);
    }
}
