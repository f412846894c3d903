using System.Globalization;
using System.Text;

namespace IdentityHub.Admin;

/// <summary>An identity source as the admin API receives it. Fields are loose on purpose: validation names each bad one.</summary>
public sealed record IdentitySourceRequest : IAuditedRequest
{
    string? IAuditedRequest.AuditedId => Id;

    /// <summary>1 to 64 lower-case letters, digits, '-' or '_': it is a segment of the callback URL <c>{issuer}/signin/{id}</c>.</summary>
    public string? Id { get; init; }

    public string? DisplayName { get; init; }

    /// <summary><c>oidc</c>, or <c>registry</c> for the built-in source only.</summary>
    public string? Kind { get; init; }

    /// <summary>The upstream issuer URL (oidc).</summary>
    public string? Authority { get; init; }

    /// <summary>The hub's client id at the upstream provider (oidc).</summary>
    public string? ClientId { get; init; }

    /// <summary>
    /// Required when an oidc source authenticating with a secret is created; left out of a replace, the stored secret is
    /// kept. Refused with <c>private_key_jwt</c>, where the hub signs with its own key.
    /// </summary>
    public string? ClientSecret { get; init; }

    /// <summary>Scopes asked upstream; default <c>["openid"]</c>, which they must include.</summary>
    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary><c>eidas1</c>, <c>eidas2</c> or <c>eidas3</c>: the highest level the source reaches.</summary>
    public string? Acr { get; init; }

    /// <summary><c>individuals</c>, <c>enterprises</c> or <c>both</c>.</summary>
    public string? Subjects { get; init; }

    /// <summary>Hub claim → the source's claim name, e.g. <c>{"identity_number": "cccd"}</c>.</summary>
    public IReadOnlyDictionary<string, string?>? ClaimMappings { get; init; }

    /// <summary>
    /// <c>client_secret_basic</c> (default), <c>client_secret_post</c>, or <c>private_key_jwt</c> (a client assertion signed
    /// with the hub's RS256 key, published at <c>{issuer}/.well-known/jwks</c>) (oidc).
    /// </summary>
    public string? TokenEndpointAuthMethod { get; init; }

    /// <summary>Default true; false keeps the source without offering it.</summary>
    public bool? Enabled { get; init; }

    // Records print every property; a logged request must not carry the secret.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Id = {Id}, Kind = {Kind}, Authority = {Authority}, ClientId = {ClientId}, ClientSecret = {(ClientSecret is null ? "null" : "***")}");
        return true;
    }
}

/// <summary>An identity source as stored. The client secret never leaves the hub: <see cref="HasClientSecret"/> says whether one is set.</summary>
public sealed record IdentitySourceResponse
{
    public required string Id { get; init; }
    public required string DisplayName { get; init; }
    public required string Kind { get; init; }
    public string? Authority { get; init; }
    public string? ClientId { get; init; }
    public required bool HasClientSecret { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required string Acr { get; init; }
    public required string Subjects { get; init; }
    public required IReadOnlyDictionary<string, string> ClaimMappings { get; init; }
    public string? TokenEndpointAuthMethod { get; init; }
    public required bool Enabled { get; init; }
}
