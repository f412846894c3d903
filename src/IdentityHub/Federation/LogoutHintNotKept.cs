using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using static OpenIddict.Client.OpenIddictClientEvents;

namespace IdentityHub.Federation;

/// <summary>
/// OpenIddict copies every authentication property of a sign-out into its state token, which the hub stores in its
/// database until it is pruned; <c>id_token_hint</c> among them. The source's ID token is personal data that the hub
/// keeps once, data-protected, with the session (docs/design.md, "Sessions"): it goes to the source in the end-session
/// request, and no copy stays in the state token.
/// </summary>
internal sealed class LogoutHintNotKept : IOpenIddictClientHandler<ProcessSignOutContext>
{
    public static OpenIddictClientHandlerDescriptor Descriptor { get; } = OpenIddictClientHandlerDescriptor.CreateBuilder<ProcessSignOutContext>()
        .UseSingletonHandler<LogoutHintNotKept>()
        .SetOrder(OpenIddictClientHandlers.AttachSignOutHostProperties.Descriptor.Order - 1)
        .SetType(OpenIddictClientHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignOutContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Properties.Remove(OpenIddictClientAspNetCoreConstants.Properties.IdentityTokenHint);
        return ValueTask.CompletedTask;
    }
}
