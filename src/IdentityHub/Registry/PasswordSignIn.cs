using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
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

/// <summary>The outcome of a password check; the identity the registry vouches for when it succeeded.</summary>
public sealed record PasswordResult(PasswordCheck Outcome, AuthenticatedIdentity? Identity);

/// <summary>
/// Checks a registry username and password. Unknown usernames cost the same hash as known ones, so timing
/// does not tell which accounts exist; five consecutive failures lock the account for a while.
/// </summary>
public sealed class PasswordSignIn(HubDbContext db, IPasswordHasher<RegistryAccount> hasher, TimeProvider time)
{
    public const int MaxFailedAttempts = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

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
        var normalized = username.Trim().ToLowerInvariant();
        // The person's record comes with the account: it is what the registry vouches for, and the login's
        // reconciliation then finds it in this request's change tracker (AuthenticatedIdentity.KnownPersonId).
        var found = await db.RegistryAccounts.Where(a => a.Username == normalized)
            .Join(db.People, a => a.PersonId, p => p.Id, (a, p) => new { Account = a, Person = p })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            await OneHashPerCoreAsync(() => hasher.VerifyHashedPassword(null!, DummyHash.Value, password), cancellationToken);
            return new PasswordResult(PasswordCheck.Failed, null);
        }

        var (account, person) = (found.Account, found.Person);
        var now = time.GetUtcNow();
        if (account.LockedUntil > now)
        {
            return new PasswordResult(PasswordCheck.LockedOut, null);
        }

        var verification = await OneHashPerCoreAsync(() => hasher.VerifyHashedPassword(account, account.PasswordHash, password), cancellationToken);
        if (verification == PasswordVerificationResult.Failed)
        {
            // Counted in the database in one statement, so parallel guesses on several instances all count.
            await db.RegistryAccounts.Where(a => a.PersonId == account.PersonId)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.FailedAttempts, a => a.FailedAttempts + 1), cancellationToken);
            var locked = await db.RegistryAccounts.Where(a => a.PersonId == account.PersonId && a.FailedAttempts >= MaxFailedAttempts)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.LockedUntil, now + LockoutDuration).SetProperty(a => a.FailedAttempts, 0), cancellationToken);
            return new PasswordResult(locked > 0 ? PasswordCheck.LockedOut : PasswordCheck.Failed, null);
        }

        account.FailedAttempts = 0;
        account.LockedUntil = null;
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = await OneHashPerCoreAsync(() => hasher.HashPassword(account, password), cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        return new PasswordResult(PasswordCheck.Succeeded, new AuthenticatedIdentity(
            IdentitySource.RegistryId, RegistrySource.PasswordLevel, ["pwd"], now, person.Pivot, person.IdentityNumber,
            new ContactDetails(person.Email, person.EmailVerified, person.PhoneNumber, person.PhoneNumberVerified, person.Address), [])
        {
            KnownPersonId = person.Id,
        });
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
