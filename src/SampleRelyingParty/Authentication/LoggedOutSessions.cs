using System.Collections.Concurrent;
using System.Security.Claims;

namespace SampleRelyingParty.Authentication;

/// <summary>
/// Sessions the hub has ended by back-channel logout. The hub calls us server to server, so the person's
/// cookie cannot be deleted then; instead it is refused on its next request. In memory: enough for one
/// instance, several instances would need a shared store.
/// </summary>
internal sealed class LoggedOutSessions
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _endedSessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _everySessionEndedAt = new(StringComparer.Ordinal);

    public void End(string? sid, string? sub, DateTimeOffset now)
    {
        // A token with a sid ends that hub session only; one with just a sub ends every session of that person.
        if (!string.IsNullOrEmpty(sid))
        {
            _endedSessions[sid] = now;
        }
        else if (!string.IsNullOrEmpty(sub))
        {
            _everySessionEndedAt[sub] = now;
        }
    }

    /// <summary>
    /// A hub session never comes back once ended, so its sid is refused for good. A person logging in again
    /// after a sub-only logout must not be, hence the comparison with the cookie's issue time.
    /// </summary>
    public bool HasEnded(ClaimsPrincipal principal, DateTimeOffset? signedInAt)
    {
        if (principal.FindFirst("sid")?.Value is { Length: > 0 } sid && _endedSessions.ContainsKey(sid))
        {
            return true;
        }
        return principal.FindFirst("sub")?.Value is { Length: > 0 } sub
            && _everySessionEndedAt.TryGetValue(sub, out var endedAt)
            && (signedInAt is null || signedInAt <= endedAt);
    }
}
