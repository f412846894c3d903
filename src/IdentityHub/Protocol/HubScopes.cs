using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>The scopes this hub serves and the claims each one releases (CONTRACT section 2).</summary>
public static class HubScopes
{
    public const string Birth = "birth";

    public static IReadOnlyDictionary<string, string[]> ClaimsByScope { get; } = new Dictionary<string, string[]>
    {
        [Scopes.OpenId] = [Claims.Subject, HubClaims.IdentitySource, Claims.AuthenticationContextReference, Claims.AuthenticationMethodReference, Claims.AuthenticationTime],
        [Scopes.Profile] = [Claims.GivenName, Claims.FamilyName, Claims.PreferredUsername, Claims.Gender, Claims.Birthdate],
        [Birth] = [HubClaims.Birthplace, HubClaims.Birthcountry],
        [Scopes.Email] = [Claims.Email, Claims.EmailVerified],
        [Scopes.Phone] = [Claims.PhoneNumber, Claims.PhoneNumberVerified],
        [Scopes.OfflineAccess] = [],
    };

    public static string[] Supported { get; } = [.. ClaimsByScope.Keys];
}

/// <summary>Claim types the hub adds to the standard ones.</summary>
public static class HubClaims
{
    public const string IdentitySource = "idp_id";
    public const string Birthplace = "birthplace";
    public const string Birthcountry = "birthcountry";
    public const string SessionId = "sid";
}
