using IdentityHub.Audit;
using IdentityHub.Data;
using IdentityHub.IdentitySources;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

/// <summary>
/// Five wrong passwords or codes in a row lock a username for a growing while: 1, 5, 15, then 60 minutes each time
/// (docs/design.md, "Lock-out"). Counted in the database, one statement per failure, so guesses spread over several
/// instances all count; and counted for unknown usernames too, so a lock tells nobody whether an account exists.
/// </summary>
public sealed class AccountLocks(HubDbContext db, TimeProvider time, RegistrySecrets secrets, AuditLog audit)
{
    public const int MaxFailedAttempts = 5;

    public static readonly IReadOnlyList<TimeSpan> Durations =
        [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(60)];

    /// <summary>A day without a failure forgives the earlier locks: the next one is short again.</summary>
    public static readonly TimeSpan Forgiveness = TimeSpan.FromDays(1);

    public string KeyOf(string username) => secrets.ThrottleKey(username);

    /// <summary>Until when <paramref name="key"/> is locked, or null when it is not.</summary>
    public async Task<DateTimeOffset?> LockedUntilAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.SignInThrottles.AsNoTracking().Where(t => t.Key == key && t.LockedUntil > now)
            .Select(t => t.LockedUntil).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The username's row, if it has failures counted or a lock (most have neither).</summary>
    public async Task<SignInThrottle?> FindAsync(string key, CancellationToken cancellationToken) =>
        await db.SignInThrottles.AsNoTracking().FirstOrDefaultAsync(t => t.Key == key, cancellationToken);

    /// <summary>
    /// Counts a wrong password or code and records it in the audit trail (with the lock, when this failure sets it);
    /// returns until when the username is now locked, or null when it is not.
    /// </summary>
    /// <param name="personId">The account's person, when the username is one; an unknown username is audited by its key.</param>
    /// <param name="reason">What was wrong: <c>password</c> or <c>code</c>.</param>
    public async Task<DateTimeOffset?> RecordFailureAsync(string key, Guid? personId, string reason, CancellationToken cancellationToken)
    {
        var (until, lockedNow) = await CountFailureAsync(key, cancellationToken);
        var subject = personId is { } id ? AuditEntry.Person(id) : $"username:{key}";
        audit.Add(new AuditEntry(AuditTypes.LoginFailed, AuditOutcomes.Failure) { Subject = subject, Source = IdentitySource.RegistryId, Detail = "wrong_" + reason });
        if (lockedNow && until is { } lockedUntil)
        {
            audit.Add(new AuditEntry(AuditTypes.AccountLocked) { Actor = "hub", Subject = subject, Source = IdentitySource.RegistryId, Detail = $"until {lockedUntil:O}" });
        }
        await db.SaveChangesAsync(cancellationToken);
        return until;
    }

    /// <returns>Until when the username is locked, and whether this failure was the one that set the lock.</returns>
    private async Task<(DateTimeOffset? Until, bool LockedNow)> CountFailureAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!await db.SignInThrottles.AnyAsync(t => t.Key == key, cancellationToken))
        {
            await InsertAsync(key, now, cancellationToken);
        }
        var forgiven = now - Forgiveness;
        await db.SignInThrottles.Where(t => t.Key == key && t.LastFailureAt < forgiven && (t.LockedUntil == null || t.LockedUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Lockouts, 0).SetProperty(t => t.FailedAttempts, 0), cancellationToken);
        await db.SignInThrottles.Where(t => t.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.FailedAttempts, t => t.FailedAttempts + 1).SetProperty(t => t.LastFailureAt, now), cancellationToken);

        var row = await db.SignInThrottles.AsNoTracking().Where(t => t.Key == key)
            .Select(t => new { t.FailedAttempts, t.Lockouts, t.LockedUntil }).SingleAsync(cancellationToken);
        if (row.FailedAttempts < MaxFailedAttempts)
        {
            return (row.LockedUntil > now ? row.LockedUntil : null, false);
        }
        // Only the request that reads this many locks moves the row on (the Lockouts it read must still be there):
        // of two instances both counting the fifth failure, one sets the lock and the other reads it.
        var until = now + Durations[Math.Min(row.Lockouts, Durations.Count - 1)];
        var locked = await db.SignInThrottles.Where(t => t.Key == key && t.FailedAttempts >= MaxFailedAttempts && t.Lockouts == row.Lockouts)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LockedUntil, until).SetProperty(t => t.FailedAttempts, 0).SetProperty(t => t.Lockouts, row.Lockouts + 1), cancellationToken);
        return locked == 1 ? (until, true) : (await LockedUntilAsync(key, cancellationToken), false);
    }

    /// <summary>A complete sign-in, or an operator's unlock: the count and the lock's growth start again.</summary>
    public async Task ResetAsync(string key, CancellationToken cancellationToken) =>
        await db.SignInThrottles.Where(t => t.Key == key).ExecuteDeleteAsync(cancellationToken);

    private async Task InsertAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = new SignInThrottle { Key = key, LastFailureAt = now };
        db.SignInThrottles.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request inserted it first; the increments below count on that row.
        }
        finally
        {
            db.Entry(row).State = Microsoft.EntityFrameworkCore.EntityState.Detached;
        }
    }
}
