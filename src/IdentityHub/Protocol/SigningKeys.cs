using System.Security.Cryptography;
using IdentityHub.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IdentityHub.Protocol;

/// <summary>
/// Gives OpenIddict the hub's persistent keys: RS256 (the default every OIDC client accepts), ES256 (cheaper
/// to sign), and a symmetric key that encrypts codes and refresh tokens. Keys are created on first start; the
/// first key of each kind has a fixed row id so instances starting together cannot create two.
/// </summary>
internal sealed class SigningKeys(IServiceScopeFactory scopes) : IConfigureOptions<OpenIddictServerOptions>
{
    private const string Purpose = "IdentityHub.Protocol.SigningKeys";

    public void Configure(OpenIddictServerOptions options)
    {
        // Options are built once, on the first protocol request, after the database is ready.
        var keys = LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
        foreach (var key in keys.Where(k => k.Algorithm == SecurityAlgorithms.RsaSha256))
        {
            options.SigningCredentials.Add(new SigningCredentials(key.Key, SecurityAlgorithms.RsaSha256));
        }
        foreach (var key in keys.Where(k => k.Algorithm == SecurityAlgorithms.EcdsaSha256))
        {
            options.SigningCredentials.Add(new SigningCredentials(key.Key, SecurityAlgorithms.EcdsaSha256));
        }
        foreach (var key in keys.Where(k => k.Algorithm == SecurityAlgorithms.Aes256KW))
        {
            options.EncryptionCredentials.Add(new EncryptingCredentials(key.Key, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }
    }

    private async Task<List<(string Algorithm, SecurityKey Key)>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();

        foreach (var algorithm in new[] { SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.Aes256KW })
        {
            if (await db.SigningKeys.AnyAsync(k => k.Algorithm == algorithm && k.RetiredAt == null, cancellationToken))
            {
                continue;
            }
            db.SigningKeys.Add(new SigningKey
            {
                Id = "initial-" + algorithm,
                Algorithm = algorithm,
                ProtectedKey = Convert.ToBase64String(protector.Protect(Generate(algorithm))),
                CreatedAt = now,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another instance created it first; use theirs.
                db.ChangeTracker.Clear();
            }
        }

        var rows = await db.SigningKeys.AsNoTracking().Where(k => k.RetiredAt == null).ToListAsync(cancellationToken);
        return rows.OrderByDescending(k => k.CreatedAt)
            .Select(k => (k.Algorithm, ToSecurityKey(k.Algorithm, protector.Unprotect(Convert.FromBase64String(k.ProtectedKey)))))
            .ToList();
    }

    private static byte[] Generate(string algorithm)
    {
        switch (algorithm)
        {
            case SecurityAlgorithms.RsaSha256:
                using (var rsa = RSA.Create(2048))
                {
                    return rsa.ExportPkcs8PrivateKey();
                }
            case SecurityAlgorithms.EcdsaSha256:
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return ec.ExportPkcs8PrivateKey();
                }
            default:
                return RandomNumberGenerator.GetBytes(32);
        }
    }

    private static SecurityKey ToSecurityKey(string algorithm, byte[] material)
    {
        SecurityKey key;
        switch (algorithm)
        {
            case SecurityAlgorithms.RsaSha256:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(material, out _);
                key = new RsaSecurityKey(rsa);
                break;
            case SecurityAlgorithms.EcdsaSha256:
                var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(material, out _);
                key = new ECDsaSecurityKey(ec);
                break;
            default:
                return new SymmetricSecurityKey(material);
        }
        // A kid derived from the public key (RFC 7638) is stable across instances and restarts.
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromSecurityKey(key).ComputeJwkThumbprint());
        return key;
    }
}
