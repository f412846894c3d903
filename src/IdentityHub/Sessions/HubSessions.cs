using System.Security.Claims;
using System.Security.Cryptography;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Sessions;

/// <summary>Starts, finds and ends a person's single-sign-on session (cookie in the browser, row in the database).</summary>
public sealed class HubSessions(HubDbContext db, TimeProvider time)
{
    public const string Scheme = "HubSession";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <param name="authenticatedAt">When the source authenticated the person (<c>auth_time</c>); now by default.</param>
    public async Task<HubSession> StartAsync(HttpContext http, Guid personId, string sourceId, string acr, string amr, CancellationToken cancellationToken, DateTimeOffset? authenticatedAt = null)
    {
        var now = time.GetUtcNow();
        var session = new HubSession
        {
            Id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24)),
            PersonId = personId,
            SourceId = sourceId,
            Acr = acr,
            Amr = amr,
            AuthenticatedAt = authenticatedAt ?? now,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        };
        db.HubSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);

        // Any earlier session in this browser ends: one browser, one person.
        await EndCurrentAsync(http, cancellationToken);
        var identity = new ClaimsIdentity([new Claim(SessionClaim, session.Id)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false, ExpiresUtc = session.ExpiresAt });
        return session;
    }

    /// <summary>The browser's session, if the database still says it is active.</summary>
    public async Task<HubSession?> FindCurrentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var result = await http.AuthenticateAsync(Scheme);
        var id = result.Principal?.FindFirstValue(SessionClaim);
        return id is null ? null : await FindActiveAsync(id, cancellationToken);
    }

    public async Task<HubSession?> FindActiveAsync(string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.HubSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id && s.EndedAt == null && s.ExpiresAt > now, cancellationToken);
    }

    public async Task EndCurrentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var result = await http.AuthenticateAsync(Scheme);
        if (result.Principal?.FindFirstValue(SessionClaim) is { } id)
        {
            var now = time.GetUtcNow();
            await db.HubSessions.Where(s => s.Id == id && s.EndedAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
        }
        await http.SignOutAsync(Scheme);
    }

    private const string SessionClaim = "sid";
}

internal static class SessionsSetup
{
    public static WebApplicationBuilder AddSessions(this WebApplicationBuilder builder)
    {
        var hub = HubEnvironment.Options(builder);
        var requireHttps = HubEnvironment.RequireHttps(hub, builder.Environment);
        builder.Services.AddScoped<HubSessions>();
        builder.Services.AddHostedService<ExpiredRecordsCleanup>();
        builder.Services.AddAuthentication(HubSessions.Scheme)
            .AddCookie(HubSessions.Scheme, options =>
            {
                options.Cookie.Name = "hub.session";
                options.Cookie.HttpOnly = true;
                // Lax: the session must travel on the top-level redirect from a service to /connect/authorize.
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = requireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = HubSessions.Lifetime;
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
