using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Protocol;

/// <summary>
/// The algorithms a service's ID and access tokens are signed with, kept in its application's properties (cached with
/// the client, so reading them costs no query). RS256 by default, which every client and resource server accepts;
/// ES256 when the operator chooses it, about a tenth of the CPU of an RSA signature (docs/integration.md, "Endpoints" and "Relying parties").
/// </summary>
internal static class TokenSigning
{
    public const string AccessTokenProperty = "access_token_signed_response_alg";
    public const string IdTokenProperty = "id_token_signed_response_alg";
    public const string Default = SecurityAlgorithms.RsaSha256;

    public static readonly string[] Allowed = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    public static string Of(IReadOnlyDictionary<string, JsonElement> properties, string property)
        => properties.TryGetValue(property, out var value) && value.ValueKind == JsonValueKind.String
            && Allowed.Contains(value.GetString(), StringComparer.Ordinal) ? value.GetString()! : Default;

    /// <summary>The default is not stored: a service registered before the choice existed reads the same.</summary>
    public static void Set(Dictionary<string, JsonElement> properties, string property, string algorithm)
    {
        properties.Remove(property);
        if (algorithm != Default)
        {
            properties[property] = JsonSerializer.SerializeToElement(algorithm);
        }
    }
}
