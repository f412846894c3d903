using System.ComponentModel.DataAnnotations;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Client;
using OpenIddict.Server;
using Polly;

namespace IdentityHub.Federation;

/// <summary><c>Hub:Federation</c>: how the hub talks to upstream identity sources.</summary>
public sealed class FederationOptions
{
    public const string Section = "Hub:Federation";

    /// <summary>How long the hub waits for an upstream source (discovery, token, userinfo) before giving up.</summary>
    [Range(1, 120)]
    public int TimeoutSeconds { get; set; } = 10;
}

[OptionsValidator]
public sealed partial class FederationOptionsValidator : IValidateOptions<FederationOptions>;

/// <summary>
/// The hub as an OpenID Connect client of upstream identity sources, with OpenIddict's client (see
/// docs/design.md for why it and not Microsoft's handler): PKCE, state and nonce, state tokens kept in the
/// database (a replayed callback is refused on every instance), ID token validation against the source's keys.
/// </summary>
internal static class FederationSetup
{
    public static WebApplicationBuilder AddFederation(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<FederationOptions, FederationOptionsValidator>(FederationOptions.Section);
        var hub = HubEnvironment.Options(builder);
        var requireHttps = HubEnvironment.RequireHttps(hub, builder.Environment);
        // Read here for the HTTP pipeline; a value out of range stops the start before any request (ValidateOnStart).
        var federation = builder.Configuration.GetSection(FederationOptions.Section).Get<FederationOptions>() ?? new FederationOptions();
        var timeout = TimeSpan.FromSeconds(Math.Clamp(federation.TimeoutSeconds, 1, 120));

        builder.Services.AddOpenIddict().AddClient(client =>
        {
            client.AllowAuthorizationCodeFlow();
            var aspNetCore = client.UseAspNetCore()
                .EnableRedirectionEndpointPassthrough()
                .EnablePostLogoutRedirectionEndpointPassthrough()
                .EnableErrorPassthrough();
            if (!requireHttps)
            {
                aspNetCore.DisableTransportSecurityRequirement();
                // The correlation cookie defaults to SameSite=None, which needs Secure, which plain HTTP cannot
                // keep. The callback is a top-level GET (response_mode=query), which SameSite=Lax cookies survive.
                aspNetCore.Configure(options =>
                {
                    options.CookieBuilder.SameSite = SameSiteMode.Lax;
                    options.CookieBuilder.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                });
            }
            // One bounded attempt: a slow source must give the person an answer, not a spinner multiplied by retries.
            client.UseSystemNetHttp().SetHttpResiliencePipeline(pipeline => pipeline.AddTimeout(timeout));
            client.AddEventHandler(PushedRequestClientId.Descriptor)
                .AddEventHandler(ClientAssertionAudience.ChallengeDescriptor)
                .AddEventHandler(ClientAssertionAudience.TokenDescriptor)
                .AddEventHandler(ChallengeFailure.Descriptor)
                .AddEventHandler(LogoutHintNotKept.Descriptor)
                .AddEventHandler(StateTokenKeys.Descriptor);
        });

        builder.Services.AddSingleton<IConfigureOptions<OpenIddictClientOptions>, StateTokenKeys>();
        // The client copies the server's keys: rebuilt after them, when a key is added or retires (docs/design.md, "Keys").
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddictClientOptions>, OptionsFollow<OpenIddictServerOptions, OpenIddictClientOptions>>();
        builder.Services.AddSingleton<UpstreamRegistrations>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictClientOptions>>(services => services.GetRequiredService<UpstreamRegistrations>());
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddictClientOptions>>(services => services.GetRequiredService<UpstreamRegistrations>());
        return builder;
    }

    /// <summary>
    /// A person may come back from a source to another instance than the one that sent them, whose registrations may
    /// predate the source. OpenIddict reads its options when the request begins, to know the request for one of its
    /// callbacks, so a callback naming a source this instance has no registration for brings them up to date before
    /// authentication runs. A known source costs nothing here: every challenge on every instance already checks
    /// that its registrations are current, so a changed one is seen at the next login this instance starts.
    /// </summary>
    public static WebApplication UseFederation(this WebApplication app)
    {
        var client = app.Services.GetRequiredService<IOptionsMonitor<OpenIddictClientOptions>>();
        app.UseWhen(http => Callback(http.Request.Path) is { } id && !client.CurrentValue.Registrations.Any(r => r.RegistrationId == id), branch => branch.Use(async (http, next) =>
        {
            var db = http.RequestServices.GetRequiredService<HubDbContext>();
            await http.RequestServices.GetRequiredService<UpstreamRegistrations>().EnsureCurrentAsync(db, http.RequestAborted);
            await next(http);
        }));
        return app;
    }

    /// <summary>The source id of <c>/signin/{id}</c> or <c>/signout/{id}</c>; null for any other path.</summary>
    private static string? Callback(PathString path) =>
        (path.StartsWithSegments("/signin", out var rest) || path.StartsWithSegments("/signout", out rest)) && rest.Value is ['/', .. var id] && !id.Contains('/')
            ? id : null;

    public static WebApplication MapFederation(this WebApplication app)
    {
        app.MapGet("/federation/{sourceId}", FederationEndpoints.ChallengeAsync).ExcludeFromDescription();
        app.MapMethods("/signin/{sourceId}", [HttpMethods.Get, HttpMethods.Post], FederationEndpoints.CallbackAsync)
            .DisableAntiforgery().ExcludeFromDescription();
        // The hub's end-session endpoint sends the browser here (Sessions/HubSessions.SourceLogoutUrl).
        app.MapGet("/federation/{sourceId}/logout", FederationEndpoints.LogoutAsync).ExcludeFromDescription();
        app.MapMethods("/signout/{sourceId}", [HttpMethods.Get, HttpMethods.Post], FederationEndpoints.SignedOutAsync)
            .DisableAntiforgery().ExcludeFromDescription();
        return app;
    }
}

/// <summary>
/// The upstream client protects its state tokens with the hub's own keys, those the server keeps in the database
/// (ES256 to sign, the symmetric key to encrypt), so any instance can read a state token another one issued. It holds
/// every published one, so a state token protected before a rotation is still read after it; each new token, and each
/// client assertion (RS256, <see cref="UpstreamRegistrations"/>), takes the key active at that moment (docs/design.md, "Keys").
/// </summary>
internal sealed class StateTokenKeys(IOptionsMonitor<OpenIddictServerOptions> server, KeySchedule schedule)
    : IConfigureOptions<OpenIddictClientOptions>, IOpenIddictClientHandler<OpenIddictClientEvents.GenerateTokenContext>
{
    public static OpenIddictClientHandlerDescriptor Descriptor { get; } = OpenIddictClientHandlerDescriptor.CreateBuilder<OpenIddictClientEvents.GenerateTokenContext>()
        .UseSingletonHandler<StateTokenKeys>()
        .SetOrder(OpenIddictClientHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
        .SetType(OpenIddictClientHandlerType.Custom)
        .Build();

    public void Configure(OpenIddictClientOptions options)
    {
        var keys = server.CurrentValue;
        options.SigningCredentials.AddRange(keys.SigningCredentials.Where(c => c.Key is ECDsaSecurityKey));
        options.EncryptionCredentials.AddRange(keys.EncryptionCredentials.Where(c => c.Key is SymmetricSecurityKey));
    }

    public ValueTask HandleAsync(OpenIddictClientEvents.GenerateTokenContext context)
    {
        if (context.TokenType == OpenIddict.Abstractions.OpenIddictConstants.TokenTypeIdentifiers.Private.ClientAssertion)
        {
            context.SigningCredentials = schedule.Signing(context.Registration.SigningCredentials, SecurityAlgorithms.RsaSha256) ?? context.SigningCredentials;
            return default;
        }
        context.SigningCredentials = schedule.Signing(context.Options.SigningCredentials, SecurityAlgorithms.EcdsaSha256) ?? context.SigningCredentials;
        if (context.EncryptionCredentials is not null)
        {
            context.EncryptionCredentials = schedule.Encrypting(context.Options.EncryptionCredentials, SecurityAlgorithms.Aes256KW) ?? context.EncryptionCredentials;
        }
        return default;
    }
}
