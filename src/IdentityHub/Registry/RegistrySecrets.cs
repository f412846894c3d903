using System.Security.Cryptography;
using System.Text;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.WebUtilities;

namespace IdentityHub.Registry;

/// <summary>
/// Keyed hashes for what the registry must look up without storing in the clear: usernames in the lock-out table and
/// recovery codes. The keys are derived (HKDF) from the deployment secret behind pairwise subjects, which lives outside
/// the database, so a copy of the database alone cannot test guesses against them (docs/design.md, "Second factors").
/// </summary>
public sealed class RegistrySecrets(PairwiseKey deploymentKey)
{
    private readonly byte[] _throttleKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, deploymentKey.Value, 32, info: "IdentityHub registry sign-in throttle"u8.ToArray());
    private readonly byte[] _recoveryKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, deploymentKey.Value, 32, info: "IdentityHub registry recovery codes"u8.ToArray());

    /// <summary>The lock-out row of a username as typed (trimmed, compared case-insensitively like accounts are).</summary>
    public string ThrottleKey(string username) =>
        WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_throttleKey, Encoding.UTF8.GetBytes(NormalizeUsername(username))));

    /// <summary>A recovery code's stored form, bound to its person so a hash says nothing about anyone else's codes.</summary>
    public string RecoveryCodeHash(Guid personId, string normalizedCode)
    {
        var input = new byte[16 + Encoding.ASCII.GetByteCount(normalizedCode)];
        personId.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.ASCII.GetBytes(normalizedCode, input.AsSpan(16));
        return WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_recoveryKey, input));
    }

    public static string NormalizeUsername(string username) => username.Trim().ToLowerInvariant();
}
