using System.Text.Json;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>
/// The OpenID Connect <c>claims</c> request parameter (Core 5.5): claims asked one by one, for the ID token
/// (<c>id_token</c>) and for userinfo (<c>userinfo</c>), on top of those of the scopes (docs/integration.md, "Scopes and
/// claims"). Which of them a service may receive is decided once, at the authorization request.
/// </summary>
internal static class ClaimsRequest
{
    public const string IdToken = "id_token";
    public const string UserInfo = "userinfo";

    /// <summary>
    /// Carries the claims granted for userinfo from the authorization request to each access token issued under it
    /// (through the code and refresh tokens, which only the hub reads); <see cref="HubTokenManager"/> keeps it on the
    /// access token's row, and it never appears in a token a service receives (docs/design.md, "Scopes and claims").
    /// </summary>
    public const string UserInfoClaimType = ProtocolHandlers.KeepHubInternalsOutOfTokens.HubPrefix + "userinfo_claims";

    /// <summary>The property of an access token's row holding the claims granted for userinfo, a JSON array of names.</summary>
    public const string UserInfoProperty = "userinfo_claims";

    /// <summary>
    /// Carries the enterprise the person acts for (its <c>enterprise_*</c> claims, as a JSON object) from the
    /// authorization request to each access token's row, as <see cref="UserInfoClaimType"/> does: userinfo answers
    /// with it, and no token a service receives carries it twice.
    /// </summary>
    public const string ActingForClaimType = ProtocolHandlers.KeepHubInternalsOutOfTokens.HubPrefix + "acting_for";

    /// <summary>The property of an access token's row holding <see cref="ActingForClaimType"/>'s object.</summary>
    public const string ActingForProperty = "acting_for";

    /// <summary>
    /// The names of the claims the parameter asks for in <paramref name="member"/>, whatever each one's value (null,
    /// <c>essential</c>, <c>values</c>): the hub releases what the service is allowed and the record has, and an
    /// essential claim it cannot give does not fail the request (Core 5.5.1). The JSON was checked when the request was
    /// validated.
    /// </summary>
    public static IReadOnlyList<string> Requested(string? parameter, string member)
    {
        if (string.IsNullOrWhiteSpace(parameter))
        {
            return [];
        }
        try
        {
            using var document = JsonDocument.Parse(parameter);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(member, out var requested) && requested.ValueKind == JsonValueKind.Object
                ? [.. requested.EnumerateObject().Select(claim => claim.Name)]
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>
    /// The claims granted for userinfo with the access token <paramref name="principal"/> describes, and the
    /// enterprise claims of whom the person acts for (empty when none).
    /// </summary>
    public static async Task<(IReadOnlyList<string> Requested, IReadOnlyDictionary<string, string> Enterprise)> ForUserInfoAsync(IOpenIddictTokenManager tokens,
        System.Security.Claims.ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        // The row was read moments ago to check the token is still valid: this finds it in the request's context.
        if (principal.GetTokenId() is not { } id || await tokens.FindByIdAsync(id, cancellationToken) is not { } token)
        {
            return ([], new Dictionary<string, string>());
        }
        var properties = await tokens.GetPropertiesAsync(token, cancellationToken);
        IReadOnlyList<string> requested = properties.TryGetValue(UserInfoProperty, out var names) && names.ValueKind == JsonValueKind.Array
            ? [.. names.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!)]
            : [];
        var enterprise = properties.TryGetValue(ActingForProperty, out var actingFor) && actingFor.ValueKind == JsonValueKind.Object
            ? actingFor.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        return (requested, enterprise);
    }
}

/// <summary>
/// OpenIddict's token manager, which also writes on an access token's row the claims its authorization request asked
/// for userinfo (<see cref="ClaimsRequest.UserInfoClaimType"/>) and the enterprise the person acts for
/// (<see cref="ClaimsRequest.ActingForClaimType"/>): the row is written anyway, so this costs no statement.
/// </summary>
internal sealed class HubTokenManager(
    IOpenIddictTokenCache<OpenIddictEntityFrameworkCoreToken> cache,
    ILogger<OpenIddictTokenManager<OpenIddictEntityFrameworkCoreToken>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictTokenStore<OpenIddictEntityFrameworkCoreToken> store)
    : OpenIddictTokenManager<OpenIddictEntityFrameworkCoreToken>(cache, logger, options, store)
{
    public override ValueTask PopulateAsync(OpenIddictEntityFrameworkCoreToken token, OpenIddictTokenDescriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (descriptor.Type == TokenTypeIdentifiers.AccessToken && descriptor.Principal is { } principal)
        {
            if (principal.GetClaim(ClaimsRequest.UserInfoClaimType) is { Length: > 0 } names)
            {
                descriptor.Properties[ClaimsRequest.UserInfoProperty] = JsonSerializer.SerializeToElement(names.Split(' '));
            }
            if (principal.GetClaim(ClaimsRequest.ActingForClaimType) is { Length: > 0 } actingFor)
            {
                using var json = JsonDocument.Parse(actingFor);
                descriptor.Properties[ClaimsRequest.ActingForProperty] = json.RootElement.Clone();
            }
        }
        return base.PopulateAsync(token, descriptor, cancellationToken);
    }
}
