using IdentityHub.Errors;
using IdentityHub.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.OpenApi;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using Scalar.AspNetCore;

namespace IdentityHub.Admin;

/// <summary>
/// The admin REST API (docs/integration.md, "Admin API"): bearer tokens issued by this hub with scope <c>hub.admin</c>,
/// RFC 9457 problem details for every error, an OpenAPI description for agency developers.
/// </summary>
internal static class AdminSetup
{
    public const string Scope = "hub.admin";
    public const string Policy = "HubAdmin";

    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        // The same property twice is ambiguous (which one counts depends on the parser): refused as malformed JSON.
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.AllowDuplicateProperties = false);
        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.HasScope(Scope)));
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AdminAuthorizationResults>();
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section);
        builder.Services.AddHostedService<AdminClientBootstrap>();
        // The admin API's scope is known to the server (a client_credentials grant may ask for it), never served to a person.
        builder.Services.Configure<OpenIddictServerOptions>(options => options.Scopes.Add(Scope));
        builder.Services.AddScoped<RelyingPartyRegistry>();
        builder.Services.AddScoped<RegistryRecords>();
        builder.Services.AddScoped<IdentitySourceRegistry>();
        builder.Services.AddScoped<DataProviderRegistry>();
        builder.Services.AddHttpClient(RelyingPartyRegistry.JwksClient, client => client.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "IdentityHub admin API",
                    Version = "v1",
                    Description = "Register relying services, identity sources, data providers and national-registry records. " +
                        "Authenticate with an access token of client hub-admin (client_credentials, scope hub.admin).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "Access token with scope hub.admin, from POST /connect/token (grant_type=client_credentials).",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapAdmin(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference(SecurityHeaders.AdminReferencePath, options => options.WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        }

        var api = app.MapGroup("/api/admin/v1")
            .RequireAuthorization(Policy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .AddEndpointFilter(RefuseControlCharacters.InvokeAsync)
            .AddEndpointFilter(AuditApi.RecordChangeAsync)
            .DisableAntiforgery();
        api.MapRelyingParties();
        api.MapIdentitySources();
        api.MapDataProviders();
        api.MapRegistry();
        api.MapAudit();
        api.MapKeys();
        return app;
    }

    /// <summary>
    /// API errors without a body (a JSON body that does not parse, for one) still get RFC 9457 problem details. Bodies
    /// over the hub's limit are refused before this, by the request guard (Hosting/RequestGuard).
    /// </summary>
    public static WebApplication UseAdmin(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/api"), branch => branch.UseStatusCodePages());
        return app;
    }

    /// <summary>RFC 6750 3.1: a valid token without the scope is 403 <c>insufficient_scope</c>, naming the scope.</summary>
    private sealed class AdminAuthorizationResults : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Forbidden && policy.AuthenticationSchemes.Contains(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme))
            {
                await context.ForbidAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme, new(new Dictionary<string, string?>
                {
                    [OpenIddictValidationAspNetCoreConstants.Properties.Error] = HubErrors.InsufficientScope.OAuthError,
                    [OpenIddictValidationAspNetCoreConstants.Properties.ErrorDescription] = $"This API requires the scope {Scope}.",
                    [OpenIddictValidationAspNetCoreConstants.Properties.Scope] = Scope,
                }));
                return;
            }
            await _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
