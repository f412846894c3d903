using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

/// <summary>
/// The registry's side of a login journey, from the password to the identity it hands over (Registry/README.md): a
/// password alone when the level asked allows it; else the second factor the person has, or the enrolment of an
/// authenticator app when they have none. The level is never more than what was done (docs/integration.md, "Levels").
/// </summary>
public sealed class RegistryLogin(HubDbContext db, AuthenticationStep step, AccountLocks locks, TimeProvider time)
{
    public static readonly IReadOnlyList<string> PasswordAmr = ["pwd"];

    /// <summary>Password and an authenticator code, or a recovery code (a one-time password too, RFC 8176 "otp").</summary>
    public static readonly IReadOnlyList<string> CodeAmr = ["pwd", "otp", "mfa"];

    /// <summary>A passkey with user verification: something held and something known or are (RFC 8176 "hwk", "mfa").</summary>
    public static readonly IReadOnlyList<string> PasskeyAmr = ["hwk", "mfa"];

    /// <summary>A password, then a passkey as the second factor.</summary>
    public static readonly IReadOnlyList<string> PasswordAndPasskeyAmr = ["pwd", "hwk", "mfa"];

    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The second factors the person has.</summary>
    public async Task<RegistryFactors> FactorsAsync(Guid personId, CancellationToken cancellationToken)
    {
        // One round trip: the account's app, and how many recovery codes and passkeys it has.
        var found = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == personId)
            .Select(a => new
            {
                Totp = a.TotpSecret != null,
                a.TotpEnabledAt,
                Recovery = db.RecoveryCodes.Count(c => c.PersonId == personId && c.UsedAt == null),
                Passkeys = db.Passkeys.Count(p => p.PersonId == personId),
            }).FirstOrDefaultAsync(cancellationToken);
        return found is null ? new RegistryFactors(false, false, null, 0, 0) : new RegistryFactors(true, found.Totp, found.TotpEnabledAt, found.Recovery, found.Passkeys);
    }

    /// <summary>The password was right: where the browser goes next.</summary>
    public async Task<string> AfterPasswordAsync(HttpContext http, PendingAuthentication pending, PasswordResult result, CancellationToken cancellationToken)
    {
        var (account, person) = (result.Account!, result.Person!);
        if (AssuranceLevels.Satisfies(RegistrySource.PasswordLevel, pending.AskedAcr))
        {
            // The count of failures is forgiven by a password only when the password is all the account has: else
            // a password could wipe out the wrong codes before it, and codes could be guessed without end. Most
            // logins follow no failure at all, and then there is nothing to look up.
            if (result.HadFailures && !(await FactorsAsync(person.Id, cancellationToken)).Any)
            {
                await locks.ResetAsync(locks.KeyOf(account.Username), cancellationToken);
            }
            return await step.CompleteAsync(http, pending, Identity(person, RegistrySource.PasswordLevel, PasswordAmr), cancellationToken);
        }

        var factors = await FactorsAsync(person.Id, cancellationToken);
        var stage = factors.Any ? SecondFactorStage.Verify : SecondFactorStage.Enrol;
        var now = time.GetUtcNow();
        // A second password on the same journey (the person came back to the sign-in page) starts the step afresh.
        await db.SecondFactorChallenges.Where(c => c.JourneyId == pending.JourneyId).ExecuteDeleteAsync(cancellationToken);
        db.SecondFactorChallenges.Add(new SecondFactorChallenge
        {
            JourneyId = pending.JourneyId,
            PersonId = person.Id,
            Stage = stage,
            CreatedAt = now,
            ExpiresAt = now + ChallengeLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return stage == SecondFactorStage.Verify ? SecondFactorUrl(pending.JourneyId) : EnrolUrl(pending.JourneyId);
    }

    /// <summary>
    /// This browser's journey <paramref name="journeyId"/> at its second-factor step <paramref name="stage"/>: the
    /// pending authentication and whose factor it waits for; else where the browser goes instead (the journey's own
    /// answer, or the sign-in page when no password was checked for it, or too long ago). Every page and call of the
    /// step starts here.
    /// </summary>
    public async Task<SecondFactorVisit> VisitAsync(HttpContext http, string? journeyId, SecondFactorStage stage, CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(http, journeyId, IdentitySource.RegistryId, IdentitySourceKind.Registry, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return new SecondFactorVisit(null, null, visit.Elsewhere);
        }
        return await FindChallengeAsync(pending, stage, cancellationToken) is { } factor
            ? new SecondFactorVisit(pending, factor, null)
            : new SecondFactorVisit(null, null, SignInUrl(pending.JourneyId));
    }

    private async Task<PendingFactor?> FindChallengeAsync(PendingAuthentication pending, SecondFactorStage stage, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.SecondFactorChallenges.AsNoTracking()
            .Where(c => c.JourneyId == pending.JourneyId && c.Stage == stage && c.ExpiresAt > now)
            .Join(db.RegistryAccounts, c => c.PersonId, a => a.PersonId, (c, a) => new PendingFactor(c.PersonId, a.Username))
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The authenticator app is active and the codes shown: the enrolment step waits for <c>Continue</c>.</summary>
    public async Task<bool> MarkEnrolledAsync(PendingAuthentication pending, CancellationToken cancellationToken) =>
        await db.SecondFactorChallenges.Where(c => c.JourneyId == pending.JourneyId && c.Stage == SecondFactorStage.Enrol)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Stage, SecondFactorStage.Enrolled), cancellationToken) == 1;

    /// <summary>
    /// The second factor is proven: the step is spent (once, whichever instance asks), the lock's count starts again,
    /// and the journey receives the identity at <c>eidas2</c> with <paramref name="amr"/>.
    /// </summary>
    public async Task<string> CompleteAsync(HttpContext http, PendingAuthentication pending, PendingFactor factor, SecondFactorStage stage, IReadOnlyList<string> amr, CancellationToken cancellationToken)
    {
        var spent = await db.SecondFactorChallenges.Where(c => c.JourneyId == pending.JourneyId && c.Stage == stage && c.PersonId == factor.PersonId)
            .ExecuteDeleteAsync(cancellationToken);
        if (spent != 1)
        {
            // Another request finished the step first; the journey knows where this browser goes.
            return (await step.BeginAsync(http, pending.JourneyId, IdentitySource.RegistryId, IdentitySourceKind.Registry, cancellationToken)).Elsewhere
                ?? SecondFactorUrl(pending.JourneyId);
        }
        await locks.ResetAsync(locks.KeyOf(factor.Username), cancellationToken);
        var person = await db.People.FindAsync([factor.PersonId], cancellationToken)
            ?? throw new InvalidOperationException("The person of a second-factor step is gone.");
        return await step.CompleteAsync(http, pending, Identity(person, RegistrySource.SecondFactorLevel, amr), cancellationToken);
    }

    /// <summary>A passkey alone (no username, no password): <c>eidas2</c> with <c>hwk mfa</c>.</summary>
    public async Task<string> CompleteWithPasskeyAsync(HttpContext http, PendingAuthentication pending, Guid personId, CancellationToken cancellationToken)
    {
        var person = await db.People.FindAsync([personId], cancellationToken)
            ?? throw new InvalidOperationException("The person of a passkey is gone.");
        return await step.CompleteAsync(http, pending, Identity(person, RegistrySource.SecondFactorLevel, PasskeyAmr), cancellationToken);
    }

    public static string SignInUrl(string journeyId) => $"/registry/signin?journey={Uri.EscapeDataString(journeyId)}";

    public static string SecondFactorUrl(string journeyId) => $"/registry/second-factor?journey={Uri.EscapeDataString(journeyId)}";

    public static string EnrolUrl(string journeyId) => $"/registry/enrol?journey={Uri.EscapeDataString(journeyId)}";

    private AuthenticatedIdentity Identity(Person person, string acr, IReadOnlyList<string> amr) => new(
        IdentitySource.RegistryId, acr, amr, time.GetUtcNow(), person.Pivot, person.IdentityNumber,
        new ContactDetails(person.Email, person.EmailVerified, person.PhoneNumber, person.PhoneNumberVerified, person.Address), [])
    {
        KnownPersonId = person.Id,
    };
}

/// <summary>A person's second factors: an authenticator app (and its recovery codes left), and passkeys.</summary>
public sealed record RegistryFactors(bool HasAccount, bool Totp, DateTimeOffset? TotpEnabledAt, int RecoveryCodesLeft, int Passkeys)
{
    public bool Any => Totp || Passkeys > 0;
}

/// <summary>Whose second factor a journey waits for.</summary>
public sealed record PendingFactor(Guid PersonId, string Username);

/// <summary>A journey at its second-factor step (<see cref="Pending"/> and <see cref="Factor"/>), or where the browser goes instead.</summary>
public sealed record SecondFactorVisit(PendingAuthentication? Pending, PendingFactor? Factor, string? Elsewhere);
