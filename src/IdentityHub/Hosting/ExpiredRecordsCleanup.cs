namespace IdentityHub.Hosting;

/// <summary>
/// What a feature deletes once it can no longer be used (expired journeys, ended sessions, spent tokens). Each feature
/// registers its own; the cleanup runs them all in one scope.
/// </summary>
public interface IExpiredRecords
{
    /// <param name="now">The time of this run; what expired before it may go.</param>
    Task DeleteAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// Runs every feature's <see cref="IExpiredRecords"/> every quarter of an hour. Every instance runs it; the deletes are
/// idempotent, so no coordination is needed.
/// </summary>
internal sealed partial class ExpiredRecordsCleanup(IServiceScopeFactory scopes, TimeProvider time, ILogger<ExpiredRecordsCleanup> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(15);

    /// <summary>How long ended sessions and spent tokens are kept after they stopped working, so that a late request is told why.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
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

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var now = time.GetUtcNow();
        foreach (var records in scope.ServiceProvider.GetServices<IExpiredRecords>())
        {
            await records.DeleteAsync(now, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing expired records failed; the next run will try again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
