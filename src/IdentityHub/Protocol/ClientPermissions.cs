using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>Turns a relying party's grant types and allowed scopes into OpenIddict permissions.</summary>
internal static class ClientPermissions
{
    public static void Grant(OpenIddictApplicationDescriptor descriptor, IEnumerable<string> grantTypes, IEnumerable<string> scopes)
    {
        var permissions = descriptor.Permissions;
        permissions.Add(Permissions.Endpoints.Token);
        permissions.Add(Permissions.Endpoints.Revocation);
        permissions.Add(Permissions.Endpoints.Introspection);
        foreach (var grantType in grantTypes)
        {
            permissions.Add(Permissions.Prefixes.GrantType + grantType);
            if (grantType == GrantTypes.AuthorizationCode)
            {
                permissions.Add(Permissions.Endpoints.Authorization);
                permissions.Add(Permissions.Endpoints.EndSession);
                permissions.Add(Permissions.ResponseTypes.Code);
            }
        }
        foreach (var scope in scopes)
        {
            permissions.Add(Permissions.Prefixes.Scope + scope);
        }
    }
}
