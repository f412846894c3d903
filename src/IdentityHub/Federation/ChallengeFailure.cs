using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using static OpenIddict.Client.OpenIddictClientEvents;

namespace IdentityHub.Federation;

/// <summary>
/// A source that refuses the hub's pushed authorization request (a secret changed at the provider, a parameter it
/// will not take) gives the person the hub's page with a way to another source, as a source that is down does
/// (Federation/README.md), not OpenIddict's plain-text error. For a challenge of the hub's own (it names a journey),
/// OpenIddict writes nothing: the reason is left to <see cref="FederationEndpoints.ChallengeAsync"/>.
/// </summary>
internal sealed class ChallengeFailure : IOpenIddictClientHandler<ProcessErrorContext>
{
    public const string Item = "hub_challenge_failure";

    public static OpenIddictClientHandlerDescriptor Descriptor { get; } = OpenIddictClientHandlerDescriptor.CreateBuilder<ProcessErrorContext>()
        .AddFilter<OpenIddictClientAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<ChallengeFailure>()
        .SetOrder(OpenIddictClientAspNetCoreHandlers.AttachHttpResponseCode<ProcessErrorContext>.Descriptor.Order - 1000)
        .SetType(OpenIddictClientHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessErrorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // A challenge (or a sign-out) carries AuthenticationProperties in the transaction; only the hub's challenges name a journey.
        if (context.Transaction.GetHttpRequest()?.HttpContext is { } http
            && context.Transaction.Properties.TryGetValue(typeof(AuthenticationProperties).FullName!, out var value)
            && value is AuthenticationProperties properties && properties.Items.ContainsKey(FederationEndpoints.JourneyItem))
        {
            http.Items[Item] = $"{context.Error}: {context.ErrorDescription}";
            context.HandleRequest();
        }
        return ValueTask.CompletedTask;
    }
}
