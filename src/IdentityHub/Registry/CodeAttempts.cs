namespace IdentityHub.Registry;

/// <summary>
/// What every code form (the second factor, a recovery code, the activation of an app) puts a code through, in this
/// order: the account's rate limit, its lock, the check itself, and a wrong code counted towards the lock like a wrong
/// password (docs/design.md, "Lock-out").
/// </summary>
public sealed class CodeAttempts(AccountLocks locks, RegistryRateLimits limits, TimeProvider time)
{
    public async Task<CodeAttempt> TryAsync(string username, Guid personId, Func<Task<bool>> check, CancellationToken cancellationToken)
    {
        var key = locks.KeyOf(username);
        if (!limits.TryAcquire(key, out var retryAfter))
        {
            return new CodeAttempt(CodeAttemptOutcome.TooMany, retryAfter);
        }
        if (await locks.LockedUntilAsync(key, cancellationToken) is { } lockedUntil)
        {
            return new CodeAttempt(CodeAttemptOutcome.Locked, lockedUntil - time.GetUtcNow());
        }
        if (await check())
        {
            return new CodeAttempt(CodeAttemptOutcome.Accepted, TimeSpan.Zero);
        }
        return await locks.RecordFailureAsync(key, personId, "code", cancellationToken) is { } until
            ? new CodeAttempt(CodeAttemptOutcome.Locked, until - time.GetUtcNow())
            : new CodeAttempt(CodeAttemptOutcome.Wrong, TimeSpan.Zero);
    }
}

public enum CodeAttemptOutcome
{
    Accepted,
    Wrong,
    Locked,
    TooMany,
}

/// <summary>How a code attempt ended; <see cref="Wait"/> is the lock's remaining time or the rate limit's Retry-After.</summary>
public sealed record CodeAttempt(CodeAttemptOutcome Outcome, TimeSpan Wait);
