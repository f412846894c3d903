using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace SampleRelyingParty.Authentication;

/// <summary>"Log in with national ID": a cookie session opened by the hub through the OpenID Connect code flow.</summary>
internal static class NationalIdLogin
{
    private const string UiLocalesItem = "ui_locales";
    private const string LevelItem = "acr_values";

    /// <summary>"Log in for my company": the login asks for the hub's <c>enterprise</c> scope, and so whom the person acts for.</summary>
    private const string EnterpriseItem = "enterprise";
    private const string EnterpriseScope = "enterprise";

    public static WebApplicationBuilder AddNationalIdLogin(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OidcSettings>().BindConfiguration(OidcSettings.Section);
        builder.Services.AddSingleton<LoggedOutSessions>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services
            .AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(options => options.Events.OnValidatePrincipal = RejectLoggedOutSessionAsync)
            .AddOpenIdConnect();

        // Configured when the options are first needed rather than here, so that configuration added after
        // Program has run (a test host's overrides) still applies.
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IOptions<OidcSettings>>((options, settings) => Configure(options, settings.Value));
        // Cookies ignore the port: a second instance on the same host (another service, registered with its own
        // client id) must not read or overwrite the first one's session.
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<OidcSettings>>((options, settings) => options.Cookie.Name = CookieName(settings.Value.ClientId));
        return builder;
    }

    public static WebApplication MapNationalIdLogin(this WebApplication app)
    {
        app.MapGet("/login", LogIn);
        app.MapPost("/logout", LogOutAsync);
        // Called by the hub, server to server: there is no browser session to forge a request from.
        app.MapPost("/backchannel-logout", BackchannelLogout.HandleAsync).DisableAntiforgery();
        return app;
    }

    /// <summary>The client id, which is <c>sample-service</c> for the demo registration, in the characters a cookie name may use.</summary>
    private static string CookieName(string clientId) =>
        new([.. clientId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);

    private static void Configure(OpenIdConnectOptions options, OidcSettings settings)
    {
        options.Authority = settings.Authority;
        options.RequireHttpsMetadata = settings.RequireHttpsMetadata
            ?? settings.Authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        options.ClientId = settings.ClientId;
        options.ClientSecret = settings.ClientSecret;
        options.ResponseType = OpenIdConnectResponseType.Code;
        options.UsePkce = true;
        options.SaveTokens = true;
        // With a data provider, the code is redeemed for the provider's access token, which the hub's userinfo
        // refuses: the claims come from the ID token, which carries them all.
        options.GetClaimsFromUserInfoEndpoint = !settings.ReadsData;
        options.MapInboundClaims = false;
        options.TokenValidationParameters.NameClaimType = "given_name";
        options.CallbackPath = "/signin-oidc";
        options.SignedOutCallbackPath = "/signout-callback-oidc";
        options.Scope.Clear();
        foreach (var scope in settings.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Scope.Add(scope);
        }
        if (settings.ReadsData)
        {
            // RFC 8707: the provider's data scope goes with its resource, at authorization and at the token request.
            options.Scope.Add(settings.DataScope);
            options.Resource = settings.DataResource;
            options.Events.OnAuthorizationCodeReceived = context =>
            {
                context.TokenEndpointRequest!.Resource = settings.DataResource;
                return Task.CompletedTask;
            };
        }

        // The code comes back in the query (single use and PKCE-bound, so that is safe) on a top-level GET,
        // which SameSite=Lax cookies survive. The handler's default SameSite=None needs Secure cookies, which
        // a plain-http deployment such as the local demo cannot keep.
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        foreach (var cookie in new[] { options.CorrelationCookie, options.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        }

        // The handler drops acr by default, and keeps userinfo claims only when mapped (sub, given_name,
        // family_name and email are mapped by default). This service shows them all.
        options.ClaimActions.Remove("acr");
        foreach (var claim in new[] { "acr", "idp_id", "preferred_username", "gender", "birthdate", "birthplace", "birthcountry",
            "enterprise_id", "enterprise_name", "enterprise_role", "enterprise_source" })
        {
            options.ClaimActions.MapUniqueJsonKey(claim, claim);
        }
        options.ClaimActions.Add(new UniqueJsonValuesClaimAction("amr"));
        options.ClaimActions.Add(new UniqueJsonValuesClaimAction("email_verified"));

        options.Events.OnRedirectToIdentityProvider = context =>
        {
            if (context.Properties.Items.TryGetValue(LevelItem, out var level))
            {
                context.ProtocolMessage.AcrValues = level;
            }
            else if (!string.IsNullOrWhiteSpace(settings.AcrValues))
            {
                context.ProtocolMessage.AcrValues = settings.AcrValues;
            }
            if (context.Properties.Items.TryGetValue(UiLocalesItem, out var language))
            {
                context.ProtocolMessage.UiLocales = language;
            }
            if (context.Properties.Items.ContainsKey(EnterpriseItem) && !context.ProtocolMessage.Scope.Split(' ').Contains(EnterpriseScope))
            {
                context.ProtocolMessage.Scope += " " + EnterpriseScope;
            }
            return Task.CompletedTask;
        };
        options.Events.OnRemoteFailure = ShowErrorPage;
    }

    private static IResult LogIn(string? lang, string? level, string? @for)
    {
        var properties = new AuthenticationProperties { RedirectUri = "/profile" };
        if (@for == "company")
        {
            properties.Items[EnterpriseItem] = "true";
        }
        // A service asks for the level its procedure needs (a tax return: eidas2); only the hub's levels are passed on.
        if (level is "eidas1" or "eidas2" or "eidas3")
        {
            properties.Items[LevelItem] = level;
        }
        if (!string.IsNullOrWhiteSpace(lang))
        {
            // Carried to OnRedirectToIdentityProvider, so the hub's pages speak the person's language.
            properties.Items[UiLocalesItem] = lang;
        }
        return Results.Challenge(properties, [OpenIdConnectDefaults.AuthenticationScheme]);
    }

    private static async Task<IResult> LogOutAsync(HttpContext http, IAntiforgery antiforgery)
    {
        // A minimal API endpoint that binds no form gets no automatic antiforgery check.
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Results.BadRequest();
        }
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return Results.LocalRedirect("/");
        }
        // Signing out of the OpenID Connect scheme sends the person to the hub's end-session endpoint, with
        // the saved ID token as id_token_hint; the hub then returns to /signout-callback-oidc and on to "/".
        return Results.SignOut(
            new AuthenticationProperties { RedirectUri = "/" },
            [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]);
    }

    private static async Task RejectLoggedOutSessionAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<LoggedOutSessions>();
        if (context.Principal is { } principal && sessions.HasEnded(principal, context.Properties.IssuedUtc))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>
    /// A cancelled or refused login comes back as an error response, not an exception worth a stack trace:
    /// show what the hub said. Other failures (expired correlation, invalid token) get a generic code; the
    /// handler has logged the details.
    /// </summary>
    private static Task ShowErrorPage(RemoteFailureContext context)
    {
        var query = new Dictionary<string, string?>
        {
            ["error"] = context.Failure?.Data["error"] as string ?? "login_failed",
        };
        if (context.Failure?.Data["error_description"] is string description)
        {
            query["error_description"] = description;
        }
        context.Response.Redirect(QueryHelpers.AddQueryString(context.Request.PathBase + "/error", query));
        context.HandleResponse();
        return Task.CompletedTask;
    }
}
