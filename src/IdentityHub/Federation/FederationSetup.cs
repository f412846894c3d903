using IdentityHub.Hosting;
using IdentityHub.Subjects;
using Microsoft.Extensions.Options;
using OpenIddict.Client;
using Polly;

namespace IdentityHub.Federation;

/// <summary>
/// The hub as an OpenID Connect client of upstream identity sources, with OpenIddict's client (see
/// docs/design.md for why it and not Microsoft's handler): PKCE, state and nonce, state tokens kept in the
/// database (a replayed callback is refused on every instance), ID token validation against the source's keys.
/// </summary>
internal static class FederationSetup
{
    public static WebApplicationBuilder AddFederation(this WebApplicationBuilder builder)
    {
        var hub = HubEnvironment.Options(builder);
        var requireHttps = HubEnvironment.RequireHttps(hub, builder.Environment);
        var timeout = TimeSpan.FromSeconds(hub.Federation.TimeoutSeconds);

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
        });

        builder.Services.AddSingleton<UpstreamRegistrations>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictClientOptions>>(services => services.GetRequiredService<UpstreamRegistrations>());
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddictClientOptions>>(services => services.GetRequiredService<UpstreamRegistrations>());
        builder.Services.AddScoped<FederatedSignIn>();
        builder.Services.AddScoped<Reconciliation>();
        return builder;
    }

    public static WebApplication MapFederation(this WebApplication app)
    {
        app.MapGet("/federation/{sourceId}", FederationEndpoints.ChallengeAsync).ExcludeFromDescription();
        app.MapMethods("/signin/{sourceId}", [HttpMethods.Get, HttpMethods.Post], FederationEndpoints.CallbackAsync)
            .DisableAntiforgery().ExcludeFromDescription();
        return app;
    }
}
