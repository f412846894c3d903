using System.Security.Cryptography;
using System.Text;
using IdentityHub.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using OtpNet;
using QRCoder;

namespace IdentityHub.Registry;

/// <summary>
/// The authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30 seconds) and its recovery codes: enrolment, the check of
/// a code, and their removal (docs/design.md, "Second factors"). Secrets are kept protected by data protection and
/// never leave this class except on the enrolment page, to the person setting up their app.
/// </summary>
public sealed class Authenticator(HubDbContext db, TimeProvider time, IDataProtectionProvider protection, RegistrySecrets secrets)
{
    public const int RecoveryCodeCount = 10;

    /// <summary>The name an app shows beside the codes.</summary>
    public const string IssuerLabel = "IdentityHub";

    private const int Step = 30;
    private const int Digits = 6;

    /// <summary>No 0/O, 1/I/L or 2/Z, U/V: a code copied from paper is read back right.</summary>
    private const string RecoveryAlphabet = "ABCDEFGHJKMNPQRSTWXY3456789";

    /// <summary>A code of the step before or after is accepted too: phones and servers are rarely on the same second.</summary>
    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    private readonly IDataProtector _protector = protection.CreateProtector("IdentityHub.Registry.Totp");

    /// <summary>
    /// The secret the person's app is to take, made once and kept until activated (reloading the page shows the same
    /// one); null when the person already has an active app.
    /// </summary>
    public async Task<TotpSetup?> BeginEnrolmentAsync(Guid personId, CancellationToken cancellationToken)
    {
        var account = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == personId)
            .Select(a => new { a.Username, a.TotpSecret, a.PendingTotpSecret }).SingleAsync(cancellationToken);
        if (account.TotpSecret is not null)
        {
            return null;
        }
        var pending = account.PendingTotpSecret;
        if (pending is null)
        {
            var fresh = _protector.Protect(Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20)));
            // Two tabs opening the page at once must show the same secret: only the first one is kept.
            await db.RegistryAccounts.Where(a => a.PersonId == personId && a.PendingTotpSecret == null)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.PendingTotpSecret, fresh), cancellationToken);
            pending = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == personId).Select(a => a.PendingTotpSecret).SingleAsync(cancellationToken);
        }
        var secret = _protector.Unprotect(pending!);
        var uri = $"otpauth://totp/{Uri.EscapeDataString(IssuerLabel)}:{Uri.EscapeDataString(account.Username)}"
            + $"?secret={secret}&issuer={Uri.EscapeDataString(IssuerLabel)}&algorithm=SHA1&digits={Digits}&period={Step}";
        return new TotpSetup(FormatKey(secret), uri, QrCodePng(uri));
    }

    /// <summary>
    /// Activates the pending secret with a first valid code; returns the ten recovery codes to show once, or null when
    /// the code is wrong (or the person has activated an app meanwhile).
    /// </summary>
    public async Task<IReadOnlyList<string>?> ActivateAsync(Guid personId, string? code, CancellationToken cancellationToken)
    {
        var pending = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == personId && a.TotpSecret == null)
            .Select(a => a.PendingTotpSecret).SingleOrDefaultAsync(cancellationToken);
        if (pending is null || Match(_protector.Unprotect(pending), code) is not { } step)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var activated = await db.RegistryAccounts.Where(a => a.PersonId == personId && a.TotpSecret == null && a.PendingTotpSecret == pending)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(a => a.TotpSecret, pending)
                    .SetProperty(a => a.PendingTotpSecret, (string?)null)
                    .SetProperty(a => a.TotpEnabledAt, now)
                    .SetProperty(a => a.LastTotpStep, step), cancellationToken);
            if (activated != 1)
            {
                return null;
            }
            var codes = await ReplaceRecoveryCodesAsync(personId, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return codes;
        });
    }

    /// <summary>
    /// Gives the person an authenticator app with a secret known in advance, when they have none: only the demo data
    /// does this (CONTRACT's demo administrator, whose key is printed in the README), never a real account.
    /// </summary>
    internal async Task SetKnownSecretAsync(Guid personId, string base32Secret, CancellationToken cancellationToken)
    {
        var protectedSecret = _protector.Protect(base32Secret);
        var now = time.GetUtcNow();
        await db.RegistryAccounts.Where(a => a.PersonId == personId && a.TotpSecret == null)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.TotpSecret, protectedSecret).SetProperty(a => a.TotpEnabledAt, now), cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="code"/> is the person's current code (or the one before or after) and no code of that
    /// step or a later one was accepted before. The check and the record of the step are one conditional update, so a
    /// code replayed on another instance, even at the same moment, is refused.
    /// </summary>
    public async Task<bool> VerifyCodeAsync(Guid personId, string? code, CancellationToken cancellationToken)
    {
        var secret = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == personId).Select(a => a.TotpSecret).SingleOrDefaultAsync(cancellationToken);
        if (secret is null || Match(_protector.Unprotect(secret), code) is not { } step)
        {
            return false;
        }
        return await db.RegistryAccounts.Where(a => a.PersonId == personId && a.TotpSecret == secret && (a.LastTotpStep == null || a.LastTotpStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.LastTotpStep, step), cancellationToken) == 1;
    }

    /// <summary>Spends one recovery code; false when it is not one of the person's or was used before.</summary>
    public async Task<bool> UseRecoveryCodeAsync(Guid personId, string? code, CancellationToken cancellationToken)
    {
        if (NormalizeRecoveryCode(code) is not { } normalized)
        {
            return false;
        }
        var hash = secrets.RecoveryCodeHash(personId, normalized);
        var now = time.GetUtcNow();
        return await db.RecoveryCodes.Where(c => c.PersonId == personId && c.Hash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), cancellationToken) == 1;
    }

    /// <summary>Ten new recovery codes for a person with an active app; the old ones stop working.</summary>
    public async Task<IReadOnlyList<string>?> RenewRecoveryCodesAsync(Guid personId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!await db.RegistryAccounts.AnyAsync(a => a.PersonId == personId && a.TotpSecret != null, cancellationToken))
            {
                return null;
            }
            var codes = await ReplaceRecoveryCodesAsync(personId, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return codes;
        });
    }

    /// <summary>Removes the app and its recovery codes (the person's choice, or an operator's after a lost phone).</summary>
    public async Task RemoveAsync(Guid personId, CancellationToken cancellationToken)
    {
        await db.RegistryAccounts.Where(a => a.PersonId == personId).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.TotpSecret, (string?)null)
            .SetProperty(a => a.PendingTotpSecret, (string?)null)
            .SetProperty(a => a.TotpEnabledAt, (DateTimeOffset?)null)
            .SetProperty(a => a.LastTotpStep, (long?)null), cancellationToken);
        await db.RecoveryCodes.Where(c => c.PersonId == personId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>"ABCD-EF23-..." without separators and in capitals, or null when it cannot be a recovery code.</summary>
    public static string? NormalizeRecoveryCode(string? code)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 40)
        {
            return null;
        }
        var builder = new StringBuilder(code.Length);
        foreach (var c in code)
        {
            if (c is '-' or ' ')
            {
                continue;
            }
            var upper = char.ToUpperInvariant(c);
            if (!RecoveryAlphabet.Contains(upper, StringComparison.Ordinal))
            {
                return null;
            }
            builder.Append(upper);
        }
        return builder.Length == 10 ? builder.ToString() : null;
    }

    /// <summary>The time step <paramref name="code"/> belongs to within the window, or null.</summary>
    private long? Match(string base32Secret, string? code)
    {
        var digits = code?.Replace(" ", "", StringComparison.Ordinal);
        if (digits is not { Length: Digits } || !digits.All(char.IsAsciiDigit))
        {
            return null;
        }
        var totp = new Totp(Base32Encoding.ToBytes(base32Secret), Step, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(time.GetUtcNow().UtcDateTime, digits, out var step, Window) ? step : null;
    }

    private async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(Guid personId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.RecoveryCodes.Where(c => c.PersonId == personId).ExecuteDeleteAsync(cancellationToken);
        var codes = new List<string>(RecoveryCodeCount);
        for (var i = 0; i < RecoveryCodeCount; i++)
        {
            var raw = RandomNumberGenerator.GetString(RecoveryAlphabet, 10);
            codes.Add($"{raw[..5]}-{raw[5..]}");
            db.RecoveryCodes.Add(new RecoveryCode { PersonId = personId, Hash = secrets.RecoveryCodeHash(personId, raw), CreatedAt = now });
        }
        await db.SaveChangesAsync(cancellationToken);
        return codes;
    }

    /// <summary>Groups of four, as apps that take a typed key show it.</summary>
    private static string FormatKey(string secret) => string.Join(' ', secret.Chunk(4).Select(c => new string(c)));

    /// <summary>Rendered here, never by a third-party service: the QR code carries the secret.</summary>
    private static string QrCodePng(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        return Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(6));
    }
}

/// <summary>What the enrolment page shows: the key to type, the URI the QR code holds, and the QR code (PNG, base64).</summary>
public sealed record TotpSetup(string SetupKey, string OtpAuthUri, string QrCodePngBase64);
