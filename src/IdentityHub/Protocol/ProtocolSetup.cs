using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

internal static class ProtocolSetup
{
    public static WebApplicationBuilder AddProtocol(this WebApplicationBuilder builder)
    {
        var hub = HubEnvironment.Options(builder);
        var issuer = HubEnvironment.ResolveIssuer(hub, builder.Configuration);
        var requireHttps = HubEnvironment.RequireHttps(hub, builder.Environment);

        builder.Services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<HubDbContext>();
                // OpenIddict's entity caches live for one request scope (a new MemoryCache per scope, each entry with
                // its own expiration signal), so they save nothing across requests; within a request, a token or
                // authorization already read is found in the DbContext's change tracker, and a token the request
                // created in the token store's own list (HubTokenStore). Measured in bench/README.md.
                core.DisableEntityCaching();
                core.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, HubApplicationManager>();
                core.ReplaceTokenStore<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken, HubTokenStore>(ServiceLifetime.Scoped);
                core.ReplaceTokenManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken, HubTokenManager>();
            })
            .AddServer(server =>
            {
                server.SetIssuer(issuer.Uri)
                    .SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetJsonWebKeySetEndpointUris(".well-known/jwks");

                server.AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();

                // Discovery's scopes_supported and claims_supported: what the hub serves, from its one table.
                server.RegisterScopes([.. ScopesAndClaims.ServedScopes])
                    .RegisterClaims([.. ScopesAndClaims.ServedClaims, Claims.Issuer, Claims.Audience, Claims.ExpiresAt, Claims.IssuedAt, Claims.Nonce]);

                // Access tokens are signed JWTs a resource server can check offline; codes and refresh tokens
                // stay encrypted. A spent refresh token is refused at once (no leeway) and revokes its family.
                server.DisableAccessTokenEncryption()
                    .SetRefreshTokenReuseLeeway(TimeSpan.Zero)
                    .SetAuthorizationCodeLifetime(TimeSpan.FromSeconds(60))
                    .SetAccessTokenLifetime(TimeSpan.FromMinutes(10))
                    .SetIdentityTokenLifetime(TimeSpan.FromMinutes(10))
                    .SetRefreshTokenLifetime(TimeSpan.FromHours(12));

                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableStatusCodePagesIntegration()
                    .SuppressJsonResponseIndentation();
                if (!requireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }

                // Data providers are registered at run time: their resources and who may introspect their tokens are
                // checked by the hub's own handlers (Protocol/DataAccess). A service may ask for a resource when it is
                // allowed one of its data scopes, so there are no resource permissions of their own.
                server.DisableResourceValidation()
                    .IgnoreResourcePermissions()
                    .RemoveEventHandler(DataAccess.ReplacedIntrospectionCheck);

                server.AddEventHandler(TokenIssueAudit.Descriptor);
                foreach (var handler in ProtocolHandlers.All.Concat(ExactIssuer.Handlers).Concat(DataAccess.Handlers))
                {
                    server.AddEventHandler(handler);
                }
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                // A revoked token (or one of a deleted client) stops working at once, not when it expires.
                validation.EnableTokenEntryValidation();
                validation.AddEventHandler(ProtocolHandlers.FindBearerTokenEntryByJti.Descriptor);
                validation.UseAspNetCore();
            });

        // The hub's own tokens come back (userinfo, introspection, refresh, id_token_hint) with the issuer as written.
        builder.Services.Configure<OpenIddictServerOptions>(options => options.TokenValidationParameters.ValidIssuers = ExactIssuer.ValidIssuers(issuer));
        builder.Services.Configure<OpenIddict.Validation.OpenIddictValidationOptions>(options => options.TokenValidationParameters.ValidIssuers = ExactIssuer.ValidIssuers(issuer));
        builder.Services.AddValidatedOptions<KeyOptions, KeyOptionsValidator>(KeyOptions.Section);
        builder.Services.AddSingleton(services => new SettingsChanges.KeptByKey<AuthorizeEndpoint.ServiceSettings>(services.GetRequiredService<SettingsChanges>()));
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>>(services => services.GetRequiredService<SigningKeys>());
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddictServerOptions>>(services => services.GetRequiredService<SigningKeys>());
        // The validation stack (admin API tokens) copies the server's keys: rebuilt after them (docs/design.md, "Keys").
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddict.Validation.OpenIddictValidationOptions>,
            OptionsFollow<OpenIddictServerOptions, OpenIddict.Validation.OpenIddictValidationOptions>>();
        builder.Services.AddScoped<KeyRotation>();
        builder.Services.AddSingleton<KeyMaintenance>();
        builder.Services.AddHostedService(services => services.GetRequiredService<KeyMaintenance>());
        if (hub.Database.Provider == DatabaseProvider.Postgres)
        {
            builder.Services.AddHostedService<KeyChangeListener>();
        }
        // PKCE with S256 only: "plain" protects nothing once the challenge travels through the browser.
        builder.Services.Configure<OpenIddictServerOptions>(options => options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
        builder.Services.AddScoped<ClaimsIssuance>();
        builder.Services.AddScoped<IBackchannelLogoutTokens, BackchannelLogoutTokens>();
        builder.Services.AddScoped<LostRedemptions>();
        builder.Services.AddSingleton<MetadataCache>();
        builder.Services.AddScoped<IExpiredRecords, ExpiredTokens>();
        ClientCacheListener.AddClientCache(builder, hub);
        return builder;
    }

    /// <summary>
    /// First after the hub's frame: the keys brought up to the clock, discovery and JWKS from memory before any other work; OpenIddict's errors that
    /// must not go back to a service are shown by the hub's error page.
    /// </summary>
    public static WebApplication UseProtocol(this WebApplication app)
    {
        // A key that activated or retired since the options were built: they are rebuilt before this request uses them.
        var keys = app.Services.GetRequiredService<SigningKeys>();
        app.Use((http, next) =>
        {
            keys.RefreshWhenDue();
            return next(http);
        });
        app.Use(app.Services.GetRequiredService<MetadataCache>().InvokeAsync);
        app.Use(StaleClientRefusal.InvokeAsync);
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/connect"), branch => branch.UseStatusCodePagesWithReExecute("/error"));
        return app;
    }

    public static WebApplication MapProtocol(this WebApplication app)
    {
        app.MapMethods("connect/authorize", [HttpMethods.Get, HttpMethods.Post], AuthorizeEndpoint.HandleAsync).DisableAntiforgery().ExcludeFromDescription();
        app.MapMethods("connect/userinfo", [HttpMethods.Get, HttpMethods.Post], UserInfoEndpoint.HandleAsync).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }
}

/// <summary>
/// OpenIddict's tokens and authorizations that stopped working more than a day ago, under the conditions of
/// OpenIddict's own PruneAsync (which the hub no longer calls: it runs up to a thousand batches in one call, reads the
/// system clock, and knows nothing of the run's time budget): tokens revoked, redeemed or expired, or whose
/// authorization is no longer valid; then authorizations revoked, or ad-hoc, that no token refers to any more.
/// Permanent authorizations (consents) stay while valid.
/// </summary>
internal sealed class ExpiredTokens(HubDbContext db) : IExpiredRecords
{
    public async Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
    {
        var threshold = (now - ExpiredRecordsCleanup.Retention).UtcDateTime;
        var utcNow = now.UtcDateTime;
        await batches.DeleteAsync(
            db.Set<OpenIddictEntityFrameworkCoreToken>().Where(t => t.CreationDate < threshold
                && ((t.Status != Statuses.Inactive && t.Status != Statuses.Valid)
                    || (t.Authorization != null && t.Authorization.Status != Statuses.Valid)
                    || t.ExpirationDate < utcNow)),
            t => t.Id,
            cancellationToken);
        await batches.DeleteAsync(
            db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Where(a => a.CreationDate < threshold
                && (a.Status != Statuses.Valid || a.Type == AuthorizationTypes.AdHoc)
                && !a.Tokens.Any()),
            a => a.Id,
            cancellationToken);
    }
}
