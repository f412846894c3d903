using IdentityHub.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace IdentityHub.Sessions;

internal static class SessionsSetup
{
    public static WebApplicationBuilder AddSessions(this WebApplicationBuilder builder)
    {
        var hub = HubEnvironment.Options(builder);
        var requireHttps = HubEnvironment.RequireHttps(hub, builder.Environment);
        builder.Services.AddValidatedOptions<SessionOptions, SessionOptionsValidator>(SessionOptions.Section);
        builder.Services.AddValidatedOptions<HistoryOptions, HistoryOptionsValidator>(HistoryOptions.Section);
        var absolute = (builder.Configuration.GetSection(SessionOptions.Section).Get<SessionOptions>() ?? new SessionOptions()).Absolute;
        builder.Services.AddScoped<HubSessions>();
        builder.Services.AddScoped<IExpiredRecords, ExpiredSessions>();
        builder.Services.AddOptions<BackchannelLogoutOptions>().Bind(builder.Configuration.GetSection("Hub:BackchannelLogout"))
            .Validate(o => o.MaxAttempts > 0 && o.BatchSize > 0 && o.Timeout > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero && o.FirstRetry >= TimeSpan.Zero,
                "Hub:BackchannelLogout needs positive MaxAttempts, BatchSize, Timeout and PollInterval.")
            .ValidateOnStart();
        builder.Services.AddSingleton<BackchannelLogoutSignal>();
        builder.Services.AddHostedService<BackchannelLogoutSender>();
        // The sender's own deadline (BackchannelLogoutOptions.Timeout) bounds each call; no redirects: a logout
        // token goes to the registered address only.
        builder.Services.AddHttpClient(BackchannelLogoutSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        builder.Services.AddAuthentication(HubSessions.Scheme)
            .AddCookie(HubSessions.Scheme, options =>
            {
                options.Cookie.Name = "hub.session";
                options.Cookie.HttpOnly = true;
                // Lax: the session must travel on the top-level redirect from a service to /connect/authorize.
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = requireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                // The cookie names the row and lives no longer than its absolute end; the row says whether it is idle.
                options.ExpireTimeSpan = absolute;
                options.SlidingExpiration = false;
                options.Events = new CookieAuthenticationEvents
                {
                    // The hub has no page that demands a session by itself; never redirect to a login path.
                    OnRedirectToLogin = context => { context.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; },
                };
            });
        return builder;
    }

    public static WebApplication MapSessions(this WebApplication app)
    {
        app.MapMethods("connect/endsession", [HttpMethods.Get, HttpMethods.Post], EndSessionEndpoint.HandleAsync).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }
}
