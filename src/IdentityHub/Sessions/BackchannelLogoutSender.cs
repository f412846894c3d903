using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Sessions;

/// <summary>Wakes this instance's sender when a logout it handled has queued deliveries, instead of waiting for the next poll.</summary>
public sealed class BackchannelLogoutSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled by a concurrent logout.
            }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _signal.Dispose();
}

/// <summary>
/// Delivers queued back-channel logouts (OIDC Back-Channel Logout 1.0, section 2.5) from every instance. An instance
/// claims a row with one conditional UPDATE that pushes its due time a lease ahead and counts the attempt; of two
/// instances, only the one whose UPDATE matched sends it. A lease longer than the call's timeout means a row is never
/// sent twice at once; an instance that dies mid-call leaves the row to be retried when the lease runs out.
/// </summary>
internal sealed partial class BackchannelLogoutSender(
    IServiceScopeFactory scopes,
    IHttpClientFactory httpClients,
    BackchannelLogoutSignal signal,
    IOptions<BackchannelLogoutOptions> options,
    TimeProvider time,
    ILogger<BackchannelLogoutSender> logger) : BackgroundService
{
    public const string HttpClientName = "backchannel-logout";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) > 0)
                {
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogFailed(logger, exception);
            }
            try
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Claims and sends one batch of due deliveries; returns how many it claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var tokens = scope.ServiceProvider.GetRequiredService<IBackchannelLogoutTokens>();
        var now = time.GetUtcNow();
        var lease = now + settings.Timeout + settings.Timeout + TimeSpan.FromSeconds(30);

        var due = await db.BackchannelLogouts.AsNoTracking()
            .Where(b => b.DeliveredAt == null && b.AbandonedAt == null && b.NextAttemptAt <= now)
            .OrderBy(b => b.NextAttemptAt).Select(b => b.Id).Take(settings.BatchSize).ToListAsync(cancellationToken);
        var claimed = new List<BackchannelLogout>();
        foreach (var id in due)
        {
            var won = await db.BackchannelLogouts
                .Where(b => b.Id == id && b.DeliveredAt == null && b.AbandonedAt == null && b.NextAttemptAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.NextAttemptAt, lease).SetProperty(b => b.Attempts, b => b.Attempts + 1), cancellationToken);
            if (won == 1)
            {
                claimed.Add(await db.BackchannelLogouts.AsNoTracking().SingleAsync(b => b.Id == id, cancellationToken));
            }
        }
        if (claimed.Count == 0)
        {
            return 0;
        }

        var outcomes = await Task.WhenAll(claimed.Select(row => SendAsync(row, tokens.Create(row.ClientId, row.SessionId, row.Subject), cancellationToken)));
        var done = time.GetUtcNow();
        for (var i = 0; i < claimed.Count; i++)
        {
            var row = claimed[i];
            if (outcomes[i])
            {
                await db.BackchannelLogouts.Where(b => b.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.DeliveredAt, done), cancellationToken);
            }
            else if (row.Attempts >= settings.MaxAttempts)
            {
                LogAbandoned(logger, row.ClientId, row.Attempts);
                await db.BackchannelLogouts.Where(b => b.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.AbandonedAt, done), cancellationToken);
            }
            else
            {
                var next = done + settings.FirstRetry * Math.Pow(3, row.Attempts - 1);
                await db.BackchannelLogouts.Where(b => b.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.NextAttemptAt, next), cancellationToken);
            }
        }
        return claimed.Count;
    }

    private async Task<bool> SendAsync(BackchannelLogout row, string token, CancellationToken cancellationToken)
    {
        try
        {
            using var http = httpClients.CreateClient(HttpClientName);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var content = new FormUrlEncodedContent([new("logout_token", token)]);
            using var response = await http.PostAsync(row.Uri, content, timeout.Token);
            // Back-Channel Logout 1.0, section 2.8: 200 is success; 204 is accepted as well, as many services answer it.
            if (response.StatusCode is System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.NoContent)
            {
                return true;
            }
            LogRefused(logger, row.ClientId, (int)response.StatusCode, row.Attempts);
            return false;
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, row.ClientId, row.Attempts, "unreachable");
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, row.ClientId, row.Attempts, "timed out");
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering back-channel logouts failed; the next run will try again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Back-channel logout to {ClientId} answered {Status} (attempt {Attempt}).")]
    private static partial void LogRefused(ILogger logger, string clientId, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Back-channel logout to {ClientId} not delivered (attempt {Attempt}): {Reason}.")]
    private static partial void LogUnreachable(ILogger logger, string clientId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Back-channel logout to {ClientId} abandoned after {Attempts} attempts.")]
    private static partial void LogAbandoned(ILogger logger, string clientId, int attempts);
}
