using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdentityHub.Admin;

/// <summary>A relying service as the admin API receives it. Fields are loose on purpose: validation names each bad one.</summary>
public sealed record RelyingPartyRequest : IAuditedRequest
{
    string? IAuditedRequest.AuditedId => ClientId;

    public string? ClientId { get; init; }
    public string? DisplayName { get; init; }

    /// <summary><c>confidential</c> or <c>public</c>.</summary>
    public string? ClientType { get; init; }

    /// <summary>Default <c>["authorization_code", "refresh_token"]</c>; <c>client_credentials</c> for confidential clients.</summary>
    public IReadOnlyList<string>? GrantTypes { get; init; }

    /// <summary><c>client_secret_basic</c> (default), <c>client_secret_post</c> or <c>private_key_jwt</c>; <c>none</c> for public clients.</summary>
    public string? TokenEndpointAuthMethod { get; init; }

    /// <summary>The client's public keys (a JWK Set), for <c>private_key_jwt</c>.</summary>
    public JsonElement? Jwks { get; init; }

    /// <summary>Where the client publishes its JWK Set, for <c>private_key_jwt</c>; read when the client is saved.</summary>
    public string? JwksUri { get; init; }

    public IReadOnlyList<string>? RedirectUris { get; init; }
    public IReadOnlyList<string>? PostLogoutRedirectUris { get; init; }
    public string? BackchannelLogoutUri { get; init; }

    /// <summary>Scopes the client may ask for. <c>identity_number</c> only when listed here.</summary>
    public IReadOnlyList<string>? AllowedScopes { get; init; }

    /// <summary>Host name scoping pairwise subjects; default the host of the redirect URIs.</summary>
    public string? SectorIdentifier { get; init; }

    /// <summary><c>eidas1</c>, <c>eidas2</c> or <c>eidas3</c>.</summary>
    public string? MinimumAcr { get; init; }

    /// <summary><c>explicit</c> (default) or <c>implicit</c>.</summary>
    public string? Consent { get; init; }

    /// <summary>True: only people acting for an enterprise may log in (the service must be allowed <c>enterprise</c>). Default false.</summary>
    public bool? EnterpriseOnly { get; init; }

    /// <summary>How the service's ID tokens are signed: <c>RS256</c> (default) or <c>ES256</c> (docs/integration.md, "Relying parties").</summary>
    public string? IdTokenSignedResponseAlg { get; init; }

    /// <summary>How the service's access tokens are signed: <c>RS256</c> (default) or <c>ES256</c>.</summary>
    public string? AccessTokenSignedResponseAlg { get; init; }
}

/// <summary>A relying service as stored. <see cref="ClientSecret"/> appears once: when the hub has just generated it.</summary>
public sealed record RelyingPartyResponse
{
    public required string ClientId { get; init; }
    public required string DisplayName { get; init; }
    public required string ClientType { get; init; }
    public required IReadOnlyList<string> GrantTypes { get; init; }
    public required string TokenEndpointAuthMethod { get; init; }
    public JsonElement? Jwks { get; init; }
    public string? JwksUri { get; init; }
    public required IReadOnlyList<string> RedirectUris { get; init; }
    public required IReadOnlyList<string> PostLogoutRedirectUris { get; init; }
    public string? BackchannelLogoutUri { get; init; }
    public required IReadOnlyList<string> AllowedScopes { get; init; }
    public required string SectorIdentifier { get; init; }
    public string? MinimumAcr { get; init; }
    public required string Consent { get; init; }
    public required bool EnterpriseOnly { get; init; }
    public required string IdTokenSignedResponseAlg { get; init; }
    public required string AccessTokenSignedResponseAlg { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientSecret { get; init; }
}

public sealed record ClientSecretResponse(string ClientId, string ClientSecret);
