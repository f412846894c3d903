using System.Security.Cryptography;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

/// <summary>
/// WebAuthn ceremonies of the registry (docs/design.md, "Passkeys"): a signed-in account holder registers a
/// discoverable credential with user verification; later it signs the person in without a username, or proves the
/// second factor after a password. Each ceremony's options wait in <see cref="PasskeyCeremony"/> rows so any instance
/// can finish it, and are taken with one conditional delete so a challenge works once.
/// </summary>
public sealed partial class Passkeys(HubDbContext db, IFido2 fido2, PairwiseKey deploymentKey, TimeProvider time, ILogger<Passkeys> logger)
{
    /// <summary>Long enough to unlock a phone or type a security key's PIN, short enough that a challenge cannot linger.</summary>
    public static readonly TimeSpan CeremonyLifetime = TimeSpan.FromMinutes(5);

    public const int MaxNameLength = 100;

    /// <summary>The relying party of every ceremony: the issuer's host is the RP id, its origin the only origin accepted.</summary>
    public static Fido2Configuration Configuration(HubIssuer issuer) => new()
    {
        // IdnHost: the RP id is compared by browsers with the ASCII serialisation of the page's host.
        RPID = issuer.Uri.IdnHost,
        RPName = "IdentityHub",
        Origins = new HashSet<string>([issuer.Uri.GetLeftPart(UriPartial.Authority)], StringComparer.OrdinalIgnoreCase),
        Timeout = (uint)CeremonyLifetime.TotalMilliseconds,
        ChallengeSize = 32,
    };

    /// <summary>The options for <c>navigator.credentials.create()</c>: a new passkey for the account holder.</summary>
    public async Task<PasskeyChallenge> BeginRegistrationAsync(Guid personId, string username, CancellationToken cancellationToken)
    {
        var existing = await db.Passkeys.AsNoTracking().Where(p => p.PersonId == personId)
            .Select(p => new { p.CredentialId, p.Transports, p.UserHandle }).ToListAsync(cancellationToken);
        var options = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            // The name helps the person choose among accounts on their device; the handle is what comes back.
            User = new Fido2User { Id = existing.FirstOrDefault()?.UserHandle ?? DeriveUserHandle(personId), Name = username, DisplayName = username },
            // The same authenticator twice would be one factor counted as two (WebAuthn 5.4, excludeCredentials).
            ExcludeCredentials = [.. existing.Select(p => Descriptor(p.CredentialId, p.Transports))],
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        var sent = options.ToJson();
        // What the finish reads is the challenge, the RP, the user and the requirements; the list of passkeys to
        // exclude is the database's to check then, and would only make the row grow with each passkey.
        options.ExcludeCredentials = [];
        return await StoreAsync(PasskeyCeremonyKind.Registration, options.ToJson(), sent, personId, null, cancellationToken);
    }

    /// <summary>The browser's answer to <see cref="BeginRegistrationAsync"/>: the passkey is stored, or why not.</summary>
    public async Task<PasskeyOutcome> FinishRegistrationAsync(Guid personId, string? ceremonyId, AuthenticatorAttestationRawResponse credential, string? name,
        CancellationToken cancellationToken)
    {
        if (NormalizeName(name) is not { } chosenName)
        {
            return PasskeyOutcome.Failed(PasskeyFailure.InvalidName);
        }
        if (await TakeAsync(ceremonyId, PasskeyCeremonyKind.Registration, personId, null, cancellationToken) is not { } stored)
        {
            return PasskeyOutcome.Failed(PasskeyFailure.CeremonyExpired);
        }
        var options = CredentialCreateOptions.FromJson(stored.Options);
        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = credential,
                OriginalOptions = options,
                // Checked against the database below, where a concurrent registration is caught too.
                IsCredentialIdUniqueToUserCallback = (_, _) => Task.FromResult(true),
            }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Refused(PasskeyCeremonyKind.Registration, e);
        }

        var credentialId = WebEncoders.Base64UrlEncode(registered.Id);
        if (await db.Passkeys.AnyAsync(p => p.CredentialId == credentialId, cancellationToken))
        {
            return PasskeyOutcome.Failed(PasskeyFailure.AlreadyRegistered);
        }
        var names = await db.Passkeys.Where(p => p.PersonId == personId).Select(p => p.Name).ToListAsync(cancellationToken);
        db.Passkeys.Add(new Passkey
        {
            CredentialId = credentialId,
            PersonId = personId,
            UserHandle = options.User.Id,
            PublicKey = registered.PublicKey,
            SignCount = registered.SignCount,
            AaGuid = registered.AaGuid,
            Transports = registered.Transports is { Length: > 0 } transports ? string.Join(' ', transports.Distinct().Select(TransportName)) : null,
            BackupEligible = registered.IsBackupEligible,
            BackedUp = registered.IsBackedUp,
            Name = chosenName.Length > 0 ? chosenName : DefaultName(names),
            CreatedAt = time.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same credential registered by a concurrent request (the primary key): one of them keeps it.
            db.ChangeTracker.Clear();
            return PasskeyOutcome.Failed(PasskeyFailure.AlreadyRegistered);
        }
        return PasskeyOutcome.Succeeded(personId);
    }

    /// <summary>
    /// The options for <c>navigator.credentials.get()</c> in the login journey <paramref name="journeyId"/>: any
    /// discoverable passkey of the registry when <paramref name="personId"/> is null (no username typed), else only
    /// that person's passkeys (the second factor after their password).
    /// </summary>
    public async Task<PasskeyChallenge> BeginAssertionAsync(string journeyId, Guid? personId, CancellationToken cancellationToken)
    {
        var allowed = personId is { } person
            ? (await db.Passkeys.AsNoTracking().Where(p => p.PersonId == person).Select(p => new { p.CredentialId, p.Transports }).ToListAsync(cancellationToken))
                .Select(p => Descriptor(p.CredentialId, p.Transports)).ToList()
            : [];
        var options = fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = allowed,
            UserVerification = UserVerificationRequirement.Required,
        });
        var sent = options.ToJson();
        // The finish checks that the passkey is the person's in the database; the row keeps only what it verifies.
        options.AllowCredentials = [];
        return await StoreAsync(PasskeyCeremonyKind.Assertion, options.ToJson(), sent, personId, journeyId, cancellationToken);
    }

    /// <summary>
    /// The browser's answer to <see cref="BeginAssertionAsync"/>, for the same journey and person: the person whose
    /// passkey signed the challenge with user verification, or why it was refused.
    /// </summary>
    public async Task<PasskeyOutcome> FinishAssertionAsync(string journeyId, Guid? personId, string? ceremonyId, AuthenticatorAssertionRawResponse credential,
        CancellationToken cancellationToken)
    {
        if (await TakeAsync(ceremonyId, PasskeyCeremonyKind.Assertion, personId, journeyId, cancellationToken) is not { } stored)
        {
            return PasskeyOutcome.Failed(PasskeyFailure.CeremonyExpired);
        }
        var credentialId = credential.RawId is { Length: > 0 } rawId ? WebEncoders.Base64UrlEncode(rawId) : null;
        var passkey = credentialId is null ? null : await db.Passkeys.AsNoTracking().FirstOrDefaultAsync(p => p.CredentialId == credentialId, cancellationToken);
        if (passkey is null || (personId is { } expected && passkey.PersonId != expected))
        {
            return PasskeyOutcome.Failed(PasskeyFailure.UnknownPasskey);
        }
        // Without a username the user handle is what names the account (WebAuthn 7.2 step 6): it must be there.
        if (personId is null && credential.Response?.UserHandle is null)
        {
            return PasskeyOutcome.Failed(PasskeyFailure.VerificationFailed);
        }

        VerifyAssertionResult result;
        try
        {
            result = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = credential,
                OriginalOptions = AssertionOptions.FromJson(stored.Options),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = (uint)passkey.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (owner, _) => Task.FromResult(
                    CryptographicOperations.FixedTimeEquals(owner.UserHandle, passkey.UserHandle)
                    && WebEncoders.Base64UrlEncode(owner.CredentialId) == passkey.CredentialId),
            }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Refused(PasskeyCeremonyKind.Assertion, e);
        }

        // WebAuthn 7.2 step 21: a counter that does not grow, where either side counts, hints at a cloned
        // authenticator. The library compared it with the count read above; the update compares it again, so two
        // answers verified at once (two instances, two ceremonies) cannot both be accepted with the same count.
        long signCount = result.SignCount;
        var now = time.GetUtcNow();
        var updated = await db.Passkeys
            .Where(p => p.CredentialId == passkey.CredentialId && ((signCount == 0 && p.SignCount == 0) || p.SignCount < signCount))
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.SignCount, signCount)
                .SetProperty(p => p.BackedUp, result.IsBackedUp)
                .SetProperty(p => p.LastUsedAt, now), cancellationToken);
        if (updated != 1)
        {
            LogCounterRefused(logger);
            return PasskeyOutcome.Failed(PasskeyFailure.VerificationFailed);
        }
        return PasskeyOutcome.Succeeded(passkey.PersonId);
    }

    /// <summary>"Passkey N", the first N from the count of the person's passkeys that no other of theirs is called.</summary>
    internal static string DefaultName(IReadOnlyCollection<string> taken)
    {
        var n = taken.Count + 1;
        while (taken.Contains($"Passkey {n}", StringComparer.OrdinalIgnoreCase))
        {
            n++;
        }
        return $"Passkey {n}";
    }

    /// <summary>The name as given, trimmed; empty for none; null when it cannot be a name.</summary>
    private static string? NormalizeName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        return trimmed.Length <= MaxNameLength && RequestText.IsAcceptable(trimmed) && !trimmed.Any(char.IsControl) ? trimmed : null;
    }

    /// <summary>
    /// The WebAuthn user handle of a person: stable, so a new passkey on the same authenticator replaces the old one
    /// rather than sitting beside it, and meaningless outside the hub, as WebAuthn 14.6.1 asks (no personal data).
    /// </summary>
    private byte[] DeriveUserHandle(Guid personId)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, deploymentKey.Value, 32, info: "IdentityHub registry passkey user handle"u8.ToArray());
        Span<byte> id = stackalloc byte[16];
        personId.TryWriteBytes(id, bigEndian: true, out _);
        return HMACSHA256.HashData(key, id);
    }

    private async Task<PasskeyChallenge> StoreAsync(PasskeyCeremonyKind kind, string stored, string sent, Guid? personId, string? journeyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ceremony = new PasskeyCeremony
        {
            Id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32)),
            Kind = kind,
            Options = stored,
            PersonId = personId,
            JourneyId = journeyId,
            ExpiresAt = now + CeremonyLifetime,
        };
        db.PasskeyCeremonies.Add(ceremony);
        await db.SaveChangesAsync(cancellationToken);
        return new PasskeyChallenge(ceremony.Id, sent);
    }

    /// <summary>
    /// The ceremony named <paramref name="id"/> if it is of this kind, for this person and journey, and not expired; it
    /// is deleted in the same conditional statement that claims it, so of two answers to one challenge only one
    /// proceeds, on whatever instance. A ceremony of someone else is neither returned nor spent.
    /// </summary>
    private async Task<PasskeyCeremony?> TakeAsync(string? id, PasskeyCeremonyKind kind, Guid? personId, string? journeyId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 43)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var matching = db.PasskeyCeremonies.Where(c => c.Id == id && c.Kind == kind && c.PersonId == personId && c.JourneyId == journeyId && c.ExpiresAt > now);
        var ceremony = await matching.AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        return ceremony is not null && await matching.ExecuteDeleteAsync(cancellationToken) == 1 ? ceremony : null;
    }

    private PasskeyOutcome Refused(PasskeyCeremonyKind kind, Exception e)
    {
        // The library's own code says what failed (origin, challenge, signature...); nothing of the person is logged.
        LogRefused(logger, kind, e is Fido2VerificationException fido ? fido.Code.ToString() : e.GetType().Name);
        return PasskeyOutcome.Failed(PasskeyFailure.VerificationFailed);
    }

    private static PublicKeyCredentialDescriptor Descriptor(string credentialId, string? transports) => new(
        PublicKeyCredentialType.PublicKey,
        WebEncoders.Base64UrlDecode(credentialId),
        transports?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ParseTransport).OfType<AuthenticatorTransport>().ToArray() is { Length: > 0 } known ? known : null);

    private static string TransportName(AuthenticatorTransport transport) => JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(transport))!;

    private static AuthenticatorTransport? ParseTransport(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<AuthenticatorTransport>(JsonSerializer.Serialize(name));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Passkey {Kind} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, PasskeyCeremonyKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Passkey assertion refused: its signature counter did not grow (a cloned authenticator?) or the passkey is gone")]
    private static partial void LogCounterRefused(ILogger logger);
}

/// <summary>A ceremony begun: its id, to send back with the answer, and the options for the browser (JSON).</summary>
public sealed record PasskeyChallenge(string Ceremony, string OptionsJson);

public enum PasskeyFailure
{
    None,

    /// <summary>No such ceremony for this person or journey: unknown, expired, or already answered.</summary>
    CeremonyExpired,

    /// <summary>The passkey is not registered, or not the person's.</summary>
    UnknownPasskey,

    /// <summary>The answer does not verify: origin, RP, challenge, user presence or verification, signature, counter.</summary>
    VerificationFailed,

    AlreadyRegistered,

    InvalidName,
}

/// <summary>What a ceremony's answer proved: the person, or why not.</summary>
public sealed record PasskeyOutcome(Guid? PersonId, PasskeyFailure Failure)
{
    public static PasskeyOutcome Succeeded(Guid personId) => new(personId, PasskeyFailure.None);

    public static PasskeyOutcome Failed(PasskeyFailure failure) => new(null, failure);
}
