using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace IdentityHub.Sessions;

/// <summary>
/// Deletes what can no longer be used: expired login journeys, sessions ended or expired a day ago, and
/// OpenIddict's expired or revoked tokens and authorizations. Every instance may run it; the deletes are
/// idempotent, so no coordination is needed.
/// </summary>
internal sealed partial class ExpiredRecordsCleanup(IServiceScopeFactory scopes, TimeProvider time, ILogger<ExpiredRecordsCleanup> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);

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
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = time.GetUtcNow();
        var threshold = now - Retention;
        await db.LoginJourneys.Where(j => j.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        await db.HubSessions.Where(s => s.ExpiresAt < threshold || s.EndedAt < threshold).ExecuteDeleteAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, cancellationToken);
        await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing expired records failed; the next run will try again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
