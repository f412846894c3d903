using System.Collections.Immutable;
using IdentityHub.Hosting;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace IdentityHub.Protocol;

/// <summary>
/// OpenIddict writes the issuer as a <see cref="Uri"/>'s <c>AbsoluteUri</c>, which adds a slash to a bare host
/// (<c>http://127.0.0.1:4100</c> becomes <c>http://127.0.0.1:4100/</c>). Strict clients compare the issuer character
/// for character with the one they were configured with, so the hub writes it exactly as configured wherever it goes
/// out (docs/integration.md, "Endpoints"), and publishes every endpoint below it rather than below whatever host the
/// request named: discovery is cached and served to everyone (docs/design.md, "Token hot path").
/// </summary>
internal static class ExactIssuer
{
    public static ImmutableArray<OpenIddictServerHandlerDescriptor> Handlers { get; } =
    [
        PublishEndpointsBelowIssuer.Descriptor,
        WriteIssuerInDiscovery.Descriptor,
        WriteIssuerInTokens.Descriptor,
        WriteIssuerInAuthorizationResponses.Descriptor,
        WriteIssuerInIntrospection.Descriptor,
    ];

    /// <summary>The issuers a token of the hub's may carry: as configured, and as OpenIddict wrote it before.</summary>
    public static string[] ValidIssuers(HubIssuer issuer) => [.. new[] { issuer.Value, issuer.Uri.AbsoluteUri }.Distinct(StringComparer.Ordinal)];

    public sealed class PublishEndpointsBelowIssuer(HubIssuer issuer) : IOpenIddictServerHandler<HandleConfigurationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                .UseSingletonHandler<PublishEndpointsBelowIssuer>()
                // Between OpenIddict's issuer and its endpoints, which only fill the endpoints still unset.
                .SetOrder(Discovery.AttachIssuer.Descriptor.Order + 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(HandleConfigurationRequestContext context)
        {
            var options = context.Options;
            context.AuthorizationEndpoint ??= Below(options.AuthorizationEndpointUris);
            context.DeviceAuthorizationEndpoint ??= Below(options.DeviceAuthorizationEndpointUris);
            context.EndSessionEndpoint ??= Below(options.EndSessionEndpointUris);
            context.IntrospectionEndpoint ??= Below(options.IntrospectionEndpointUris);
            context.JsonWebKeySetEndpoint ??= Below(options.JsonWebKeySetEndpointUris);
            context.PushedAuthorizationEndpoint ??= Below(options.PushedAuthorizationEndpointUris);
            context.RevocationEndpoint ??= Below(options.RevocationEndpointUris);
            context.TokenEndpoint ??= Below(options.TokenEndpointUris);
            context.UserInfoEndpoint ??= Below(options.UserInfoEndpointUris);
            return ValueTask.CompletedTask;
        }

        private Uri? Below(List<Uri> endpoints) => endpoints.FirstOrDefault() switch
        {
            null => null,
            { IsAbsoluteUri: true } absolute => absolute,
            var relative => issuer.Resolve(relative.OriginalString.TrimStart('/')),
        };
    }

    public sealed class WriteIssuerInDiscovery(HubIssuer issuer) : IOpenIddictServerHandler<ApplyConfigurationResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyConfigurationResponseContext>()
                .UseSingletonHandler<WriteIssuerInDiscovery>()
                .SetOrder(int.MinValue + 100_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ApplyConfigurationResponseContext context)
        {
            if (context.Response[Metadata.Issuer] is not null)
            {
                context.Response[Metadata.Issuer] = issuer.Value;
            }
            return ValueTask.CompletedTask;
        }
    }

    public sealed class WriteIssuerInTokens(HubIssuer issuer) : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                .UseSingletonHandler<WriteIssuerInTokens>()
                // After OpenIddict has filled the token's descriptor, before it is serialized and signed.
                .SetOrder(Protection.AttachTokenMetadata.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(GenerateTokenContext context)
        {
            if (context.SecurityTokenDescriptor.Issuer is not null)
            {
                context.SecurityTokenDescriptor.Issuer = issuer.Value;
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>RFC 9207: the <c>iss</c> of every authorization response, success or error.</summary>
    public sealed class WriteIssuerInAuthorizationResponses(HubIssuer issuer) : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
                // OpenIddict's own handler writes the parameter only when it is still empty.
                .UseSingletonHandler<WriteIssuerInAuthorizationResponses>()
                .SetOrder(Authentication.AttachIssuer.Descriptor.Order - 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
        {
            if (!string.IsNullOrEmpty(context.RedirectUri) && string.IsNullOrEmpty(context.Response.Iss))
            {
                context.Response.Iss = issuer.Value;
            }
            return ValueTask.CompletedTask;
        }
    }

    public sealed class WriteIssuerInIntrospection(HubIssuer issuer) : IOpenIddictServerHandler<ApplyIntrospectionResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyIntrospectionResponseContext>()
                .UseSingletonHandler<WriteIssuerInIntrospection>()
                .SetOrder(int.MinValue + 100_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ApplyIntrospectionResponseContext context)
        {
            if (context.Response[Claims.Issuer] is not null)
            {
                context.Response[Claims.Issuer] = issuer.Value;
            }
            return ValueTask.CompletedTask;
        }
    }
}
