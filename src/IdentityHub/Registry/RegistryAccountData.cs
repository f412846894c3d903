using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

/// <summary>
/// What the registry holds about a person's account, for the person's own download (<c>/account</c>): which factors
/// exist and when they were made or used, never a password hash, a TOTP secret, a recovery code's hash or a passkey's
/// keys (docs/design.md, "Citizen dashboard"). The lock-out row is found by the username's keyed hash, as the
/// sign-in finds it.
/// </summary>
public sealed class RegistryAccountData(HubDbContext db, AccountLocks locks)
{
    public async Task<RegistryAccountRecord?> OfPersonAsync(Guid personId, CancellationToken cancellationToken)
    {
        var account = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == personId)
            .Select(a => new { a.Username, a.CreatedAt, a.TotpEnabledAt, Totp = a.TotpSecret != null, Pending = a.PendingTotpSecret != null })
            .FirstOrDefaultAsync(cancellationToken);
        if (account is null)
        {
            return null;
        }
        var codes = await db.RecoveryCodes.AsNoTracking().Where(c => c.PersonId == personId).OrderBy(c => c.CreatedAt)
            .Select(c => new RecoveryCodeRecord(c.CreatedAt, c.UsedAt)).ToListAsync(cancellationToken);
        var passkeys = await db.Passkeys.AsNoTracking().Where(p => p.PersonId == personId).OrderBy(p => p.CreatedAt)
            .Select(p => new { p.Name, p.CreatedAt, p.LastUsedAt, p.BackedUp, p.Transports }).ToListAsync(cancellationToken);
        var throttle = await locks.FindAsync(locks.KeyOf(account.Username), cancellationToken);
        return new RegistryAccountRecord(
            account.Username,
            account.CreatedAt,
            account.Totp ? new AuthenticatorAppRecord(account.TotpEnabledAt) : null,
            account.Pending,
            codes,
            [.. passkeys.Select(p => new PasskeyRecord(p.Name, p.CreatedAt, p.LastUsedAt, p.BackedUp,
                p.Transports?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []))],
            throttle is null ? null : new LockOutRecord(throttle.FailedAttempts, throttle.Lockouts, throttle.LockedUntil, throttle.LastFailureAt));
    }
}

/// <param name="AuthenticatorSetupPending">An authenticator app shown at enrolment and not yet confirmed with a code.</param>
public sealed record RegistryAccountRecord(
    string Username,
    DateTimeOffset CreatedAt,
    AuthenticatorAppRecord? AuthenticatorApp,
    bool AuthenticatorSetupPending,
    IReadOnlyList<RecoveryCodeRecord> RecoveryCodes,
    IReadOnlyList<PasskeyRecord> Passkeys,
    LockOutRecord? LockOut);

public sealed record AuthenticatorAppRecord(DateTimeOffset? EnabledAt);

public sealed record RecoveryCodeRecord(DateTimeOffset CreatedAt, DateTimeOffset? UsedAt);

public sealed record PasskeyRecord(string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool BackedUp, IReadOnlyList<string> Transports);

/// <summary>Wrong passwords or codes counted against the username, and the lock they led to.</summary>
public sealed record LockOutRecord(int FailedAttempts, int Lockouts, DateTimeOffset? LockedUntil, DateTimeOffset LastFailureAt);
