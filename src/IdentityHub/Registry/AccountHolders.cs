using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

/// <summary>
/// Who may change a registry account's second factors from the hub's own pages (<c>/account/security</c>): the person
/// signed in at the hub, and at <c>eidas2</c> as soon as the account has a second factor, so that a password alone
/// can neither remove one nor add another beside it (docs/design.md, "Second factors"). A person with none may set up
/// the first after a password, exactly as the login's enrolment allows.
/// </summary>
public sealed class AccountHolders(HubDbContext db, LoginJourneys journeys, RegistryLogin registry)
{
    /// <summary>The person's security page, where their factors are changed and where such changes lead back to.</summary>
    public const string SecurityPath = "/account/security";

    public async Task<AccountHolderAccess> FindAsync(HttpContext http, string returnPath, CancellationToken cancellationToken)
    {
        var access = await journeys.HubPageAsync(http, null, returnPath, cancellationToken);
        if (access.Session is not { } session)
        {
            return new AccountHolderAccess(null, access.LogInFirst);
        }
        var username = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == session.PersonId).Select(a => a.Username).FirstOrDefaultAsync(cancellationToken);
        if (username is null)
        {
            return new AccountHolderAccess(new AccountHolder(session.PersonId, null, new RegistryFactors(false, false, null, 0, 0)), null);
        }
        var factors = await registry.FactorsAsync(session.PersonId, cancellationToken);
        if (factors.Any && !AssuranceLevels.Satisfies(session.Acr, RegistrySource.SecondFactorLevel))
        {
            var stepUp = await journeys.HubPageAsync(http, RegistrySource.SecondFactorLevel, returnPath, cancellationToken);
            return new AccountHolderAccess(null, stepUp.LogInFirst);
        }
        return new AccountHolderAccess(new AccountHolder(session.PersonId, username, factors), null);
    }

    /// <summary>The person's passkeys, newest first.</summary>
    public async Task<IReadOnlyList<PasskeySummary>> PasskeysAsync(Guid personId, CancellationToken cancellationToken) =>
        await db.Passkeys.AsNoTracking().Where(p => p.PersonId == personId).OrderByDescending(p => p.CreatedAt)
            .Select(p => new PasskeySummary(p.CredentialId, p.Name, p.CreatedAt, p.LastUsedAt)).ToListAsync(cancellationToken);

    /// <summary>Removes one of the person's passkeys; false when it is not theirs (or already gone).</summary>
    public async Task<bool> RemovePasskeyAsync(Guid personId, string credentialId, CancellationToken cancellationToken) =>
        await db.Passkeys.Where(p => p.PersonId == personId && p.CredentialId == credentialId).ExecuteDeleteAsync(cancellationToken) == 1;
}

/// <summary>The signed-in person and their account (no <see cref="Username"/>: they have no registry account).</summary>
public sealed record AccountHolder(Guid PersonId, string? Username, RegistryFactors Factors);

/// <summary>The account holder, or where the browser goes to log in first.</summary>
public sealed record AccountHolderAccess(AccountHolder? Holder, string? LogInFirst);

public sealed record PasskeySummary(string CredentialId, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);
