namespace IdentityHub.Hosting;

/// <summary>
/// Work done before the hub serves anything: the schema first (registered first, by the hosting set-up), then each
/// feature's own, in the order the features are added. A failure stops the start with its message.
/// </summary>
public abstract class StartupTask : IHostedLifecycleService
{
    public abstract Task StartingAsync(CancellationToken cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
