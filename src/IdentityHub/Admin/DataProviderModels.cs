using System.Text.Json.Serialization;

namespace IdentityHub.Admin;

/// <summary>A data provider as the admin API receives it (CONTRACT section 3). Fields are loose on purpose: validation names each bad one.</summary>
public sealed record DataProviderRequest : IAuditedRequest
{
    string? IAuditedRequest.AuditedId => Id;

    /// <summary>1 to 100 letters, digits, '-', '_' or '.': also the client id of its credentials for introspection.</summary>
    public string? Id { get; init; }

    public string? DisplayName { get; init; }

    /// <summary>The absolute URI services send as <c>resource</c>, and the <c>aud</c> of the provider's tokens, exactly as written.</summary>
    public string? Resource { get; init; }

    public IReadOnlyList<DataScopeRequest?>? Scopes { get; init; }

    /// <summary><c>pairwise</c> (default) or <c>identity_number</c>, which records the provider's legal entitlement to it.</summary>
    public string? SubjectIdentifier { get; init; }
}

/// <summary>One data scope: its name, and what it releases in the three languages people read.</summary>
public sealed record DataScopeRequest
{
    public string? Name { get; init; }
    public LocalizedText? Description { get; init; }
}

public sealed record LocalizedText
{
    public string? Vi { get; init; }
    public string? En { get; init; }
    public string? Fr { get; init; }
}

public sealed record DataProviderResponse
{
    public required string Id { get; init; }
    public required string DisplayName { get; init; }
    public required string Resource { get; init; }
    public required IReadOnlyList<DataScopeResponse> Scopes { get; init; }
    public required string SubjectIdentifier { get; init; }

    /// <summary>When the entitlement to the identity number was recorded; null for a pairwise provider.</summary>
    public DateTimeOffset? IdentityNumberEntitledAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The introspection secret (client id = <see cref="Id"/>), returned once, when the provider is created.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientSecret { get; init; }
}

public sealed record DataScopeResponse(string Name, LocalizedText Description);
