using System.Data.Common;
using System.Linq.Expressions;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Hosting;

/// <summary>
/// What a feature deletes once it can no longer be used (expired journeys, ended sessions, spent tokens). Each feature
/// registers its own; the cleanup runs them all in one scope.
/// </summary>
public interface IExpiredRecords
{
    /// <param name="now">The time of this run; what expired before it may go.</param>
    /// <param name="batches">Deletes each kind of row in bounded batches.</param>
    Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken);
}

/// <summary>How often the cleanup runs and how much one run does (internal: tests shorten them).</summary>
internal sealed class ExpiredRecordsCleanupOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Rows per DELETE: short statements keep row locks and the write-ahead log small.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>After this, each kind of row gets one more batch and the rest waits for the next run.</summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>What one run did: whether it ran (another instance may hold the lock), rows deleted, DELETE statements.</summary>
internal sealed record ExpiredRecordsRun(bool Ran, long Deleted, int Statements);

/// <summary>
/// Deletes the rows of a query <see cref="ExpiredRecordsCleanupOptions.BatchSize"/> at a time, while the run's time
/// budget lasts; every kind of row gets at least one batch per run, so a large backlog of one does not starve the others.
/// </summary>
public sealed class ExpiredRecordsBatches
{
    private readonly TimeProvider _time;
    private readonly int _batchSize;
    private readonly DateTimeOffset _deadline;

    internal ExpiredRecordsBatches(TimeProvider time, int batchSize, DateTimeOffset deadline)
    {
        _time = time;
        _batchSize = batchSize;
        _deadline = deadline;
    }

    internal long Deleted { get; private set; }

    internal int Statements { get; private set; }

    /// <param name="expired">The rows that may go.</param>
    /// <param name="key">The table's key: batches are taken in its order (a LIMIT without an order is not repeatable).</param>
    public async Task DeleteAsync<T, TKey>(IQueryable<T> expired, Expression<Func<T, TKey>> key, CancellationToken cancellationToken)
    {
        int deleted;
        do
        {
            deleted = await expired.OrderBy(key).Take(_batchSize).ExecuteDeleteAsync(cancellationToken);
            Deleted += deleted;
            Statements++;
        }
        while (deleted == _batchSize && _time.GetUtcNow() < _deadline);
    }
}

/// <summary>
/// Runs every feature's <see cref="IExpiredRecords"/> at each interval. Every instance runs the timer; on PostgreSQL
/// only the instance holding <see cref="CleanupLock"/> deletes, the others skip that run (docs/design.md, "Options and
/// start-up").
/// </summary>
internal sealed partial class ExpiredRecordsCleanup(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<ExpiredRecordsCleanupOptions> options,
    ILogger<ExpiredRecordsCleanup> logger) : BackgroundService
{
    /// <summary>How long ended sessions and spent tokens are kept after they stopped working, so that a late request is told why.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogFailed(logger, exception);
            }
        }
    }

    public async Task<ExpiredRecordsRun> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await using var held = await CleanupLock.TryTakeAsync(db, cancellationToken);
        if (held is null)
        {
            return new(Ran: false, Deleted: 0, Statements: 0);
        }
        var now = time.GetUtcNow();
        var batches = new ExpiredRecordsBatches(time, options.Value.BatchSize, now + options.Value.TimeBudget);
        foreach (var records in scope.ServiceProvider.GetServices<IExpiredRecords>())
        {
            await records.DeleteAsync(now, batches, cancellationToken);
        }
        return new(Ran: true, batches.Deleted, batches.Statements);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing expired records failed; the next run will try again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>
/// One cleanup at a time across the instances sharing a PostgreSQL database: a session-level advisory lock, held on the
/// run's connection and released at its end, or by the server when that connection dies with its instance. SQLite is
/// the single-process demo store and needs none. The features' <see cref="IExpiredRecords"/> must run on the same
/// scope's <see cref="HubDbContext"/>, whose connection stays open while the lock is held.
/// </summary>
internal static class CleanupLock
{
    /// <summary>Any fixed number: advisory locks are per database, and the hub takes no other.</summary>
    internal const long Key = 0x4944_4855_4243_4C4E;

    /// <returns>The held lock, or null when another instance holds it.</returns>
    public static async Task<IAsyncDisposable?> TryTakeAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        if (!db.IsPostgres)
        {
            return NotNeeded.Instance;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        var taken = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({Key}) AS \"Value\"").ToListAsync(cancellationToken);
        if (taken.Single())
        {
            return new Held(db);
        }
        await db.Database.CloseConnectionAsync();
        return null;
    }

    private sealed class Held(HubDbContext db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // Explicitly: a pooled connection would otherwise keep the lock until it is next used.
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({Key})");
            }
            catch (DbException)
            {
                // The connection is gone, and the server released the lock with it.
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private sealed class NotNeeded : IAsyncDisposable
    {
        public static readonly NotNeeded Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
