using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Hosting;

/// <summary>
/// When each of the hub's keys may sign or encrypt (docs/design.md, "Keys"). OpenIddict holds every published key;
/// whatever signs or encrypts for the hub (the protocol, back-channel logout, the upstream client) asks here which of
/// them is active at this moment, so every instance with the same keys and clock picks the same one.
/// </summary>
public sealed class KeySchedule(TimeProvider time)
{
    /// <summary>One key's time to sign or encrypt: from <paramref name="ActivatesAt"/> until <paramref name="RetiresAt"/>.</summary>
    public sealed record Window(string KeyId, string Algorithm, DateTimeOffset ActivatesAt, DateTimeOffset CreatedAt, DateTimeOffset? RetiresAt);

    private volatile Window[] _windows = [];

    /// <summary>Replaces the schedule with the keys the hub has loaded.</summary>
    public void Publish(IEnumerable<Window> windows) => _windows = [.. Newest(windows)];

    /// <summary>
    /// The key of <paramref name="algorithm"/> that signs or encrypts at <paramref name="now"/>: the newest that has
    /// activated and not retired. Null when none has.
    /// </summary>
    public static Window? Active(IEnumerable<Window> windows, string algorithm, DateTimeOffset now) =>
        Newest(windows).FirstOrDefault(w => w.Algorithm == algorithm && w.ActivatesAt <= now && !(w.RetiresAt <= now));

    /// <summary>The active signing credentials of <paramref name="algorithm"/> among <paramref name="candidates"/>.</summary>
    public SigningCredentials? Signing(IEnumerable<SigningCredentials> candidates, string algorithm) =>
        Pick(candidates.Where(c => c.Algorithm == algorithm).ToList(), c => c.Key.KeyId, algorithm);

    /// <summary>The active encrypting credentials of <paramref name="algorithm"/> (the key wrap) among <paramref name="candidates"/>.</summary>
    public EncryptingCredentials? Encrypting(IEnumerable<EncryptingCredentials> candidates, string algorithm) =>
        Pick(candidates.Where(c => c.Alg == algorithm).ToList(), c => c.Key.KeyId, algorithm);

    /// <summary>
    /// The newest active key that the candidates hold. Options built a moment before the newest key was loaded do not
    /// hold it yet: the newest they hold that is still in its time is taken then, never a key before its time.
    /// </summary>
    private T? Pick<T>(List<T> candidates, Func<T, string?> keyId, string algorithm) where T : class
    {
        var now = time.GetUtcNow();
        foreach (var window in _windows)
        {
            if (window.Algorithm != algorithm || window.ActivatesAt > now || window.RetiresAt <= now)
            {
                continue;
            }
            if (candidates.Find(c => keyId(c) == window.KeyId) is { } found)
            {
                return found;
            }
        }
        // No schedule for these keys (none loaded yet): the first, as OpenIddict would take.
        return _windows.Length == 0 ? candidates.FirstOrDefault() : null;
    }

    private static IOrderedEnumerable<Window> Newest(IEnumerable<Window> windows) =>
        windows.OrderByDescending(w => w.ActivatesAt).ThenByDescending(w => w.CreatedAt).ThenByDescending(w => w.KeyId, StringComparer.Ordinal);
}
