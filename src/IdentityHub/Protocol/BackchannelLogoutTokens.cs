using System.Security.Cryptography;
using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Sessions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IdentityHub.Protocol;

/// <summary>
/// Logout tokens (OIDC Back-Channel Logout 1.0, section 2.4), signed with the RSA key that signs ID tokens at that moment
/// (docs/design.md, "Keys"), so a service
/// checks them against the same JWKS and algorithm: <c>typ</c> <c>logout+jwt</c> and no <c>nonce</c>, so neither can
/// pass for the other (docs/integration.md, "Logout").
/// </summary>
internal sealed class BackchannelLogoutTokens(HubDbContext db, IOptionsMonitor<OpenIddictServerOptions> server, KeySchedule keys, HubIssuer issuer, TimeProvider time)
    : IBackchannelLogoutTokens
{
    public const string LogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>Section 2.4 recommends at most two minutes; each retry signs a fresh token.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IReadOnlyDictionary<string, string>> LogoutUrisAsync(IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken)
    {
        var rows = await db.RelyingParties.AsNoTracking()
            .Where(r => clientIds.Contains(r.ClientId) && r.BackchannelLogoutUri != null)
            .Select(r => new { r.ClientId, r.BackchannelLogoutUri }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.ClientId, r => r.BackchannelLogoutUri!.OriginalString, StringComparer.Ordinal);
    }

    public string Create(string clientId, string sessionId, string subject)
    {
        var credentials = keys.Signing(server.CurrentValue.SigningCredentials, SecurityAlgorithms.RsaSha256)
            ?? server.CurrentValue.SigningCredentials.First(c => c.Key is RsaSecurityKey);
        var now = time.GetUtcNow().UtcDateTime;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "logout+jwt",
            Issuer = issuer.Value,
            Audience = clientId,
            IssuedAt = now,
            Expires = now + Lifetime,
            SigningCredentials = credentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Jti] = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16)),
                [JwtRegisteredClaimNames.Sub] = subject,
                ["sid"] = sessionId,
                ["events"] = new Dictionary<string, object> { [LogoutEvent] = new Dictionary<string, object>() },
            },
        });
    }
}
