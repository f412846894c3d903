using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OAuth.Claims;

namespace SampleRelyingParty.Authentication;

/// <summary>
/// Like <c>MapUniqueJsonKey</c>, for userinfo members that are not strings. That one would add <c>True</c>
/// next to the ID token's <c>true</c>, or an array as one JSON text; this keeps the ID token's claims when
/// present, and otherwise adds one claim per array item with the JSON spelling of the value.
/// </summary>
internal sealed class UniqueJsonValuesClaimAction(string claimType) : ClaimAction(claimType, ClaimValueTypes.String)
{
    public override void Run(JsonElement userData, ClaimsIdentity identity, string issuer)
    {
        if (identity.HasClaim(claim => claim.Type == ClaimType) || !userData.TryGetProperty(ClaimType, out var member))
        {
            return;
        }
        JsonElement[] values = member.ValueKind == JsonValueKind.Array ? [.. member.EnumerateArray()] : [member];
        foreach (var value in values.Where(v => v.ValueKind != JsonValueKind.Null))
        {
            var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            identity.AddClaim(new Claim(ClaimType, text, ValueType, issuer));
        }
    }
}
