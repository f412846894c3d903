using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Client;
using static OpenIddict.Client.OpenIddictClientEvents;
using static OpenIddict.Client.OpenIddictClientHandlers;

namespace IdentityHub.Federation;

/// <summary>
/// Addresses the hub's client assertions (<c>private_key_jwt</c>) to the source's issuer exactly as its discovery
/// document writes it. OpenIddict takes the registration's issuer, which comes back from the database as a URI with a
/// slash added to a bare host (<c>http://idp.example</c> becomes <c>http://idp.example/</c>); a provider that compares
/// <c>aud</c> with its issuer character for character (node-oidc-provider does) then refuses the hub
/// (docs/design.md, "Federation"). One rule for the pushed authorization request and for the token request.
/// </summary>
internal sealed class ClientAssertionAudience : IOpenIddictClientHandler<ProcessChallengeContext>, IOpenIddictClientHandler<ProcessAuthenticationContext>
{
    public static OpenIddictClientHandlerDescriptor ChallengeDescriptor { get; } = OpenIddictClientHandlerDescriptor.CreateBuilder<ProcessChallengeContext>()
        .AddFilter<OpenIddictClientHandlerFilters.RequireChallengeClientAssertionGenerated>()
        .UseSingletonHandler<ClientAssertionAudience>()
        .SetOrder(PrepareChallengeClientAssertionPrincipal.Descriptor.Order + 1)
        .SetType(OpenIddictClientHandlerType.Custom)
        .Build();

    public static OpenIddictClientHandlerDescriptor TokenDescriptor { get; } = OpenIddictClientHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
        .AddFilter<OpenIddictClientHandlerFilters.RequireClientAssertionGenerated>()
        .UseSingletonHandler<ClientAssertionAudience>()
        .SetOrder(PrepareClientAssertionPrincipal.Descriptor.Order + 1)
        .SetType(OpenIddictClientHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessChallengeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Address(context.ClientAssertionPrincipal, context.Configuration);
        return ValueTask.CompletedTask;
    }

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Address(context.ClientAssertionPrincipal, context.Configuration);
        return ValueTask.CompletedTask;
    }

    private static void Address(ClaimsPrincipal? principal, OpenIddictConfiguration configuration)
    {
        // The discovery document's issuer is the one OpenIddict checked against the registration.
        if (principal is not null && configuration.Issuer is { } issuer)
        {
            principal.SetAudiences(issuer.OriginalString);
        }
    }
}
