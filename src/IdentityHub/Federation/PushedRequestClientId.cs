using OpenIddict.Client;
using OpenIddict.Client.SystemNetHttp;
using static OpenIddict.Client.OpenIddictClientEvents;

namespace IdentityHub.Federation;

/// <summary>
/// Keeps <c>client_id</c> in the form of a pushed authorization request. RFC 9126 section 2.1: the pushed request
/// carries the authorization request's parameters, <c>client_id</c> among them, plus the client's authentication.
/// With <c>client_secret_basic</c>, OpenIddict's HTTP integration moves the credentials into the Authorization header
/// and takes <c>client_id</c> out of the form, which is right at the token endpoint but not here: sources that read the
/// pushed form as the authorization request it is (node-oidc-provider, for one) refuse it for lacking <c>client_id</c>
/// (docs/design.md, "Federation"). This runs after the header is set and before the form is written.
/// </summary>
internal sealed class PushedRequestClientId : IOpenIddictClientHandler<PreparePushedAuthorizationRequestContext>
{
    public static OpenIddictClientHandlerDescriptor Descriptor { get; } = OpenIddictClientHandlerDescriptor.CreateBuilder<PreparePushedAuthorizationRequestContext>()
        .UseSingletonHandler<PushedRequestClientId>()
        .SetOrder(OpenIddictClientSystemNetHttpHandlers.AttachBasicAuthenticationCredentials<PreparePushedAuthorizationRequestContext>.Descriptor.Order + 1)
        .SetType(OpenIddictClientHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(PreparePushedAuthorizationRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(context.Request.ClientId))
        {
            context.Request.ClientId = context.Registration.ClientId;
        }
        return ValueTask.CompletedTask;
    }
}
