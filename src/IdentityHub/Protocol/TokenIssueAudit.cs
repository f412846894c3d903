using IdentityHub.Audit;
using IdentityHub.Subjects;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace IdentityHub.Protocol;

/// <summary>
/// Every sign-in that issues tokens (a code at the authorization endpoint, tokens at the token endpoint) is a
/// <c>token.issued</c> event. It is staged once OpenIddict knows which tokens it will make, and written with the first
/// token row (Protocol/HubTokenStore), so the grant costs no extra round trip and no extra commit; a grant that fails
/// before any row is written leaves no event.
/// </summary>
internal sealed class TokenIssueAudit(AuditLog audit) : IOpenIddictServerHandler<ProcessSignInContext>
{
    /// <summary>The person a principal is about, kept in codes and refresh tokens only (the <c>hub_</c> prefix keeps it out of the others).</summary>
    public const string PersonClaim = ProtocolHandlers.KeepHubInternalsOutOfTokens.HubPrefix + "person";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; }
        = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseScopedHandler<TokenIssueAudit>()
            .SetOrder(OpenIddictServerHandlers.EvaluateGeneratedTokens.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        List<string> issued = [];
        if (context.GenerateAuthorizationCode)
        {
            issued.Add("code");
        }
        if (context.GenerateAccessToken)
        {
            issued.Add("access_token");
        }
        if (context.GenerateIdentityToken)
        {
            issued.Add("id_token");
        }
        if (context.GenerateRefreshToken)
        {
            issued.Add("refresh_token");
        }
        if (issued.Count == 0 || context.Principal is not { } principal)
        {
            return default;
        }
        var client = context.ClientId ?? context.Request?.ClientId;
        var person = principal.GetClaim(PersonClaim);
        var grant = context.EndpointType == OpenIddictServerEndpointType.Authorization ? "authorization" : context.Request?.GrantType ?? "unknown";
        audit.Stage(new AuditEntry(AuditTypes.TokenIssued)
        {
            Actor = context.EndpointType == OpenIddictServerEndpointType.Authorization && person is not null
                ? $"person:{person}" : client is null ? null : AuditEntry.ClientRef(client),
            Subject = person is not null ? $"person:{person}"
                : context.Request?.IsClientCredentialsGrantType() == true && client is not null ? AuditEntry.ClientRef(client)
                : principal.GetClaim(Claims.Subject) is { } sub ? $"sub:{sub}" : null,
            Client = client,
            Source = principal.GetClaim(HubClaims.IdentitySource),
            Level = principal.GetClaim(Claims.AuthenticationContextReference),
            Detail = $"{grant}: {string.Join(' ', issued)}",
        });
        return default;
    }
}
