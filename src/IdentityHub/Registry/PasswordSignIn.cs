using IdentityHub.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

public enum PasswordCheck
{
    Succeeded,
    Failed,
    LockedOut,
}

/// <summary>
/// Checks a registry username and password. Unknown usernames cost the same hash as known ones, so timing
/// does not tell which accounts exist; five consecutive failures lock the account for a while.
/// </summary>
public sealed class PasswordSignIn(HubDbContext db, IPasswordHasher<RegistryAccount> hasher, TimeProvider time)
{
    /// <summary>A password alone reaches eIDAS low (CONTRACT section 7).</summary>
    public const string Level = IdentitySources.AssuranceLevels.Low;
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

    public async Task<(PasswordCheck Result, Guid PersonId)> CheckAsync(string username, string password, CancellationToken cancellationToken)
    {
        var normalized = username.Trim().ToLowerInvariant();
        var account = await db.RegistryAccounts.FirstOrDefaultAsync(a => a.Username == normalized, cancellationToken);
        if (account is null)
        {
            await OneHashPerCoreAsync(() => hasher.VerifyHashedPassword(null!, DummyHash.Value, password), cancellationToken);
            return (PasswordCheck.Failed, Guid.Empty);
        }

        var now = time.GetUtcNow();
        if (account.LockedUntil > now)
        {
            return (PasswordCheck.LockedOut, Guid.Empty);
        }

        var verification = await OneHashPerCoreAsync(() => hasher.VerifyHashedPassword(account, account.PasswordHash, password), cancellationToken);
        if (verification == PasswordVerificationResult.Failed)
        {
            // Counted in the database in one statement, so parallel guesses on several instances all count.
            await db.RegistryAccounts.Where(a => a.PersonId == account.PersonId)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.FailedAttempts, a => a.FailedAttempts + 1), cancellationToken);
            var locked = await db.RegistryAccounts.Where(a => a.PersonId == account.PersonId && a.FailedAttempts >= MaxFailedAttempts)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.LockedUntil, now + LockoutDuration).SetProperty(a => a.FailedAttempts, 0), cancellationToken);
            return (locked > 0 ? PasswordCheck.LockedOut : PasswordCheck.Failed, Guid.Empty);
        }

        account.FailedAttempts = 0;
        account.LockedUntil = null;
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = await OneHashPerCoreAsync(() => hasher.HashPassword(account, password), cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        return (PasswordCheck.Succeeded, account.PersonId);
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

internal static class RegistrySetup
{
    public static WebApplicationBuilder AddRegistry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPasswordHasher<RegistryAccount>, PasswordHasher<RegistryAccount>>();
        builder.Services.AddScoped<PasswordSignIn>();
        return builder;
    }
}
