using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace IdentityHub.Hosting;

/// <summary>
/// Rebuilds <typeparamref name="TFollower"/> each time <typeparamref name="TSource"/> has been rebuilt, for options
/// built from another's (OpenIddict's validation and client options copy the server's keys). It fires after the source
/// is rebuilt, so the follower reads the new source, never the old one.
/// </summary>
public sealed class OptionsFollow<TSource, TFollower> : IOptionsChangeTokenSource<TFollower>, IDisposable
    where TSource : class
    where TFollower : class
{
    private readonly IDisposable? _subscription;
    private CancellationTokenSource _changes = new();

    public OptionsFollow(IOptionsMonitor<TSource> source) => _subscription = source.OnChange(_ => Fire());

    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);

    private void Fire()
    {
        var previous = Interlocked.Exchange(ref _changes, new CancellationTokenSource());
        previous.Cancel();
        previous.Dispose();
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _changes.Dispose();
    }
}
