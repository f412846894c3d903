using IdentityHub.Data;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

public enum PasswordCheck
{
    Succeeded,
    Failed,
    LockedOut,
}

/// <summary>The outcome of a password check: the account and person when it succeeded, and until when a lock lasts.</summary>
/// <param name="HadFailures">The username has failures counted (not yet forgiven): a complete login clears them.</param>
public sealed record PasswordResult(PasswordCheck Outcome, RegistryAccount? Account = null, Person? Person = null, DateTimeOffset? LockedUntil = null, bool HadFailures = false);

/// <summary>
/// Checks a registry username and password. Every attempt costs one hash, whether the username exists, is locked or
/// not, so neither the answer nor its timing tells which accounts exist; wrong passwords count towards the lock of
/// <see cref="AccountLocks"/>, which applies to unknown usernames alike (docs/design.md, "Lock-out").
/// </summary>
public sealed class PasswordSignIn(HubDbContext db, IPasswordHasher<RegistryAccount> hasher, AccountLocks locks, TimeProvider time)
{
    /// <summary>
    /// Password hashing is deliberately slow CPU work (about 50 ms) done on a request thread. At most one hash per core
    /// runs at once; the other sign-ins wait without holding a thread, so a burst of logins (or a password-spraying
    /// attack) cannot starve every other request of threads.
    /// </summary>
    private static readonly SemaphoreSlim Hashing = new(Environment.ProcessorCount, Environment.ProcessorCount);

    private static readonly Lazy<string> DummyHash = new(() =>
        new PasswordHasher<RegistryAccount>().HashPassword(null!, "not-a-real-password-" + Guid.NewGuid()));

    public async Task<PasswordResult> CheckAsync(string username, string password, CancellationToken cancellationToken)
    {
        var normalized = RegistrySecrets.NormalizeUsername(username);
        var key = locks.KeyOf(normalized);
        // The person's record comes with the account: it is what the registry vouches for, and the login's
        // reconciliation then finds it in this request's change tracker (AuthenticatedIdentity.KnownPersonId).
        var found = await db.RegistryAccounts.Where(a => a.Username == normalized)
            .Join(db.People, a => a.PersonId, p => p.Id, (a, p) => new { Account = a, Person = p })
            .FirstOrDefaultAsync(cancellationToken);
        var throttle = await locks.FindAsync(key, cancellationToken);
        var lockedUntil = throttle?.LockedUntil > time.GetUtcNow() ? throttle.LockedUntil : null;

        PasswordVerificationResult verification;
        if (found is null)
        {
            await OneHashPerCoreAsync(() => hasher.VerifyHashedPassword(null!, DummyHash.Value, password), cancellationToken);
            verification = PasswordVerificationResult.Failed;
        }
        else
        {
            verification = await OneHashPerCoreAsync(() => hasher.VerifyHashedPassword(found.Account, found.Account.PasswordHash, password), cancellationToken);
        }
        if (lockedUntil is not null)
        {
            // Even the right password: the lock is what stops a guess that happens to be right.
            return new PasswordResult(PasswordCheck.LockedOut, LockedUntil: lockedUntil);
        }
        if (verification == PasswordVerificationResult.Failed)
        {
            var locked = await locks.RecordFailureAsync(key, found?.Person.Id, "password", cancellationToken);
            return locked is null ? new PasswordResult(PasswordCheck.Failed) : new PasswordResult(PasswordCheck.LockedOut, LockedUntil: locked);
        }

        var account = found!.Account;
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = await OneHashPerCoreAsync(() => hasher.HashPassword(account, password), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        return new PasswordResult(PasswordCheck.Succeeded, account, found.Person, HadFailures: throttle is not null);
    }

    private static async Task<T> OneHashPerCoreAsync<T>(Func<T> hash, CancellationToken cancellationToken)
    {
        await Hashing.WaitAsync(cancellationToken);
        try
        {
            return hash();
        }
        finally
        {
            Hashing.Release();
        }
    }
}
