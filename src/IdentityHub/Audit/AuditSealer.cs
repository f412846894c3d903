using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Audit;

/// <summary>How often each instance seals, and how many events one pass takes (internal: tests shorten them).</summary>
internal sealed class AuditSealerOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
    public int BatchSize { get; set; } = 2_000;
}

/// <summary>
/// Links the events written since the last pass into the chain, in the order they became visible (docs/design.md,
/// "Audit trail"). Logins and token requests only insert; one instance at a time seals, holding the chain's head
/// row (<c>FOR UPDATE SKIP LOCKED</c>: an instance that finds it held skips that pass), so no request ever waits for
/// the chain. Each pass commits the links and the new head together.
/// </summary>
internal sealed partial class AuditSealer(
    IServiceScopeFactory scopes,
    AuditChain chain,
    IOptions<AuditSealerOptions> options,
    ILogger<AuditSealer> logger) : BackgroundService
{
    private DateTimeOffset _lastAnchor = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The cadence is wall-clock time even where the hub's clock is simulated: sealing is not a business rule.
        using var timer = new PeriodicTimer(options.Value.Interval, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await PassAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // What was written until the stop is sealed before the process ends.
        await PassAsync(CancellationToken.None);
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await SealAsync(cancellationToken) == options.Value.BatchSize)
            {
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(logger, exception);
        }
    }

    /// <returns>How many events this pass sealed (0 when another instance holds the head).</returns>
    public async Task<int> SealAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var head = await LockHeadAsync(db, cancellationToken);
        if (head is null)
        {
            return 0;
        }
        var pending = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence == null).OrderBy(e => e.Time).ThenBy(e => e.Id)
            .Take(options.Value.BatchSize).Select(e => new Link { Id = e.Id, Mac = e.Mac }).ToListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }
        foreach (var e in pending)
        {
            e.Sequence = head.Sequence + 1;
            e.PreviousId = head.EventId;
            e.PreviousHash = head.Hash;
            e.Hash = chain.LinkMac(e.Sequence, e.Id, e.Mac, e.PreviousId, e.PreviousHash);
            head.Sequence = e.Sequence;
            head.EventId = e.Id;
            head.Hash = e.Hash;
        }
        head.Mac = chain.HeadMac(head.Sequence, head.EventId, head.Hash);
        await WriteLinksAsync(db, pending, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Anchor(head);
        return pending.Count;
    }

    private sealed class Link
    {
        public Guid Id { get; init; }
        public required byte[] Mac { get; init; }
        public long Sequence { get; set; }
        public Guid? PreviousId { get; set; }
        public byte[] PreviousHash { get; set; } = [];
        public byte[] Hash { get; set; } = [];
    }

    /// <summary>
    /// The links of a pass: on PostgreSQL one <c>UPDATE … FROM unnest(…)</c> for the whole batch, instead of a statement
    /// and a tracked entity per event (bench/README.md, "audit on and off"); on the embedded store, one update each.
    /// </summary>
    private static async Task WriteLinksAsync(HubDbContext db, List<Link> links, CancellationToken cancellationToken)
    {
        if (db.IsPostgres)
        {
            await db.Database.ExecuteSqlRawAsync($"""
                UPDATE "{AuditEventConfiguration.EventsTable}" AS e
                SET "Sequence" = s.seq, "PreviousId" = NULLIF(s.pid, '00000000-0000-0000-0000-000000000000'::uuid), "PreviousHash" = s.ph, "Hash" = s.h
                FROM unnest(@ids, @seqs, @pids, @phs, @hs) AS s(id, seq, pid, ph, h)
                WHERE e."Id" = s.id
                """,
                [
                    new Npgsql.NpgsqlParameter("ids", links.Select(l => l.Id).ToArray()),
                    new Npgsql.NpgsqlParameter("seqs", links.Select(l => l.Sequence).ToArray()),
                    new Npgsql.NpgsqlParameter("pids", links.Select(l => l.PreviousId ?? Guid.Empty).ToArray()),
                    new Npgsql.NpgsqlParameter("phs", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea) { Value = links.Select(l => l.PreviousHash).ToArray() },
                    new Npgsql.NpgsqlParameter("hs", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea) { Value = links.Select(l => l.Hash).ToArray() },
                ], cancellationToken);
            return;
        }
        foreach (var link in links)
        {
            await db.AuditEvents.Where(e => e.Id == link.Id).ExecuteUpdateAsync(u => u.SetProperty(e => e.Sequence, link.Sequence)
                .SetProperty(e => e.PreviousId, link.PreviousId).SetProperty(e => e.PreviousHash, link.PreviousHash).SetProperty(e => e.Hash, link.Hash), cancellationToken);
        }
    }

    private async Task<AuditChainHead?> LockHeadAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        var head = db.IsPostgres
            ? await db.AuditChainHeads.FromSqlRaw($"SELECT * FROM \"{AuditEventConfiguration.HeadTable}\" WHERE \"Id\" = {AuditChainHead.SingleId} FOR UPDATE SKIP LOCKED")
                .AsTracking().FirstOrDefaultAsync(cancellationToken)
            : await db.AuditChainHeads.AsTracking().FirstOrDefaultAsync(cancellationToken);
        if (head is not null)
        {
            return head;
        }
        if (await db.AuditChainHeads.AnyAsync(cancellationToken))
        {
            return null; // Held by another instance.
        }
        if (await db.AuditEvents.AnyAsync(e => e.Sequence != null, cancellationToken) || await db.ArchivedAuditEvents.AnyAsync(cancellationToken))
        {
            // Sealed events without a head: the head was removed. Sealing on would hide it; verify reports it.
            LogHeadMissing(logger);
            return null;
        }
        // The first pass ever: the chain starts empty. Two instances racing here: one insert fails, that pass is skipped.
        head = new AuditChainHead { Sequence = 0, Hash = AuditChain.Origin, Mac = chain.HeadMac(0, null, AuditChain.Origin) };
        db.AuditChainHeads.Add(head);
        return head;
    }

    // The head in the logs, which leave the database: a chain cut back to an earlier head would contradict them.
    private void Anchor(AuditChainHead head)
    {
        var now = TimeProvider.System.GetUtcNow();
        if (now - _lastAnchor >= TimeSpan.FromMinutes(1) && logger.IsEnabled(LogLevel.Information))
        {
            _lastAnchor = now;
            var hash = Convert.ToHexStringLower(head.Hash);
            LogAnchor(logger, head.Sequence, hash);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chain sealed up to event {Sequence}, hash {Hash}.")]
    private static partial void LogAnchor(ILogger logger, long sequence, string hash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sealing audit events failed; the next pass will try again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The audit chain's head row is missing while sealed events exist: sealing stopped. Run 'audit verify'.")]
    private static partial void LogHeadMissing(ILogger logger);
}
