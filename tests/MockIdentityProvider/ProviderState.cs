using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace MockIdentityProvider;

/// <summary>One RSA key per process: tokens from an earlier run must not validate, as after a real key change.</summary>
public sealed class SigningKey : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public SigningKey()
    {
        Key = new RsaSecurityKey(_rsa) { KeyId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12)) };
        Credentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256);
    }

    public RsaSecurityKey Key { get; }

    public SigningCredentials Credentials { get; }

    public Dictionary<string, string> PublicJwk()
    {
        var parameters = _rsa.ExportParameters(includePrivateParameters: false);
        return new(StringComparer.Ordinal)
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = SecurityAlgorithms.RsaSha256,
            ["kid"] = Key.KeyId,
            ["n"] = Base64Url.EncodeToString(parameters.Modulus),
            ["e"] = Base64Url.EncodeToString(parameters.Exponent),
        };
    }

    public void Dispose() => _rsa.Dispose();
}

/// <summary>
/// Resolved per request, because a test factory on Kestrel chooses the port after Program.cs ran:
/// the configured issuer, else the address the server actually listens on.
/// </summary>
public sealed class IssuerResolver(IOptions<MockIdentityProviderOptions> options, IServer server, IConfiguration configuration)
{
    public string Issuer
    {
        get
        {
            var address = options.Value.Issuer?.AbsoluteUri
                ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
                ?? MockIdentityProviderOptions.DefaultUrl;
            // Wildcard listen addresses are not URLs a client can reach.
            return address.Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
                .Replace("://[::]", "://localhost", StringComparison.Ordinal)
                .TrimEnd('/');
        }
    }
}

public sealed record CodeGrant(string ClientId, string RedirectUri, string CodeChallenge, string Nonce, string Scope, TestPerson Person,
    DateTimeOffset AuthTime, DateTimeOffset ExpiresAt);

public sealed record AccessGrant(string ClientId, TestPerson Person, string Scope, DateTimeOffset ExpiresAt);

public sealed record LogoutRecord(DateTimeOffset At, string? ClientId, string? Subject, string? PostLogoutRedirectUri, string? State);

/// <summary>Everything the provider remembers, in memory: a test double runs as a single instance.</summary>
public sealed class ProviderStore(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CodeGrant> _codes = new(StringComparer.Ordinal);
    // Spent code → the access token issued from it, revoked if the code is replayed (RFC 6749 §4.1.2).
    private readonly Dictionary<string, string?> _spentCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessGrant> _accessTokens = new(StringComparer.Ordinal);
    private readonly List<LogoutRecord> _logouts = [];
    private IReadOnlyDictionary<string, string>? _lastAuthorize;

    public IReadOnlyDictionary<string, string>? LastAuthorize
    {
        get
        {
            lock (_gate)
            {
                return _lastAuthorize;
            }
        }
    }

    public IReadOnlyList<LogoutRecord> Logouts
    {
        get
        {
            lock (_gate)
            {
                return [.. _logouts];
            }
        }
    }

    public void RecordAuthorize(IReadOnlyDictionary<string, string> parameters)
    {
        lock (_gate)
        {
            _lastAuthorize = parameters;
        }
    }

    public void RecordLogout(LogoutRecord logout)
    {
        lock (_gate)
        {
            _logouts.Add(logout);
        }
    }

    public string IssueCode(CodeGrant grant)
    {
        var code = NewHandle();
        lock (_gate)
        {
            _codes.Add(code, grant);
        }
        return code;
    }

    /// <summary>
    /// Any presentation spends the code, even one that then fails, so a stolen code cannot be retried with
    /// guessed verifiers. A replayed code yields nothing and revokes what its first redemption obtained.
    /// </summary>
    public CodeGrant? TakeCode(string code)
    {
        lock (_gate)
        {
            if (_spentCodes.TryGetValue(code, out var issued))
            {
                if (issued is not null)
                {
                    _accessTokens.Remove(issued);
                }
                return null;
            }
            if (!_codes.Remove(code, out var grant))
            {
                return null;
            }
            _spentCodes[code] = null;
            return grant.ExpiresAt > time.GetUtcNow() ? grant : null;
        }
    }

    public string IssueAccessToken(string code, AccessGrant grant)
    {
        var token = NewHandle();
        lock (_gate)
        {
            _accessTokens.Add(token, grant);
            _spentCodes[code] = token;
        }
        return token;
    }

    public AccessGrant? FindAccessToken(string token)
    {
        lock (_gate)
        {
            return _accessTokens.TryGetValue(token, out var grant) && grant.ExpiresAt > time.GetUtcNow() ? grant : null;
        }
    }

    private static string NewHandle() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
