using System.Security.Cryptography;
using System.Text;
using IdentityHub.Data;
using IdentityHub.Sessions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Login;

/// <summary>
/// Starts a journey when a service sends a person who must authenticate, finds it again on the identity
/// source's pages, and hands the established session back to the authorization endpoint exactly once.
/// </summary>
public sealed class LoginJourneys(HubDbContext db, TimeProvider time, HubSessions sessions)
{
    public const string ResumeParameter = "hub_journey";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private const string BrowserCookie = "hub.browser";

    public async Task<LoginJourney> StartAsync(HttpContext http, string clientId, string authorizeQuery, string? askedAcr, bool forceAuthentication, long? maxAge, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var journey = new LoginJourney
        {
            Id = NewId(),
            BrowserBinding = BindingOf(http, create: true)!,
            ClientId = clientId,
            AuthorizeQuery = authorizeQuery,
            AskedAcr = askedAcr,
            ForceAuthentication = forceAuthentication,
            MaxAge = maxAge,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        };
        db.LoginJourneys.Add(journey);
        await db.SaveChangesAsync(cancellationToken);
        return journey;
    }

    /// <summary>The journey if it belongs to this browser, has not expired and is still waiting for a login.</summary>
    public async Task<LoginJourney?> FindPendingAsync(HttpContext http, string? id, CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        if (string.IsNullOrEmpty(id) || binding is null)
        {
            return null;
        }
        var now = time.GetUtcNow();
        return await db.LoginJourneys.FirstOrDefaultAsync(
            j => j.Id == id && j.BrowserBinding == binding && j.CompletedAt == null && j.ExpiresAt > now, cancellationToken);
    }

    /// <summary>A journey of this browser that ended in an error the service has not yet been sent.</summary>
    public async Task<LoginJourney?> FindFailedAsync(HttpContext http, string? id, CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        if (string.IsNullOrEmpty(id) || binding is null)
        {
            return null;
        }
        var now = time.GetUtcNow();
        return await db.LoginJourneys.AsNoTracking().FirstOrDefaultAsync(
            j => j.Id == id && j.BrowserBinding == binding && j.Error != null && j.ConsumedAt == null && j.ExpiresAt > now, cancellationToken);
    }

    public async Task CompleteAsync(LoginJourney journey, HubSession session, CancellationToken cancellationToken)
    {
        journey.CompletedAt = time.GetUtcNow();
        journey.SessionId = session.Id;
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Ends the journey without a login; the service will receive <paramref name="error"/> (an OAuth error code).</summary>
    public async Task FailAsync(LoginJourney journey, string error, string description, CancellationToken cancellationToken)
    {
        journey.CompletedAt = time.GetUtcNow();
        journey.Error = error;
        journey.ErrorDescription = description;
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Where the browser goes once the person has authenticated: the original request, resumed.</summary>
    public static string ResumeUrl(LoginJourney journey) =>
        $"/connect/authorize?{journey.AuthorizeQuery}&{ResumeParameter}={Uri.EscapeDataString(journey.Id)}";

    /// <summary>
    /// Marks a completed journey consumed and returns its session. The conditional update is atomic, so a
    /// replayed resume URL, in this browser or another, on this instance or another, gets nothing.
    /// </summary>
    public async Task<JourneyOutcome?> ConsumeAsync(HttpContext http, string id, CancellationToken cancellationToken)
    {
        var binding = BindingOf(http, create: false);
        if (binding is null)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var consumed = await db.LoginJourneys
            .Where(j => j.Id == id && j.BrowserBinding == binding && j.CompletedAt != null && j.ConsumedAt == null && j.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.ConsumedAt, now), cancellationToken);
        if (consumed != 1)
        {
            return null;
        }
        var ended = await db.LoginJourneys.AsNoTracking().Where(j => j.Id == id).Select(j => new { j.SessionId, j.Error, j.ErrorDescription }).SingleAsync(cancellationToken);
        if (ended.Error is not null)
        {
            return new JourneyOutcome(null, ended.Error, ended.ErrorDescription);
        }
        var session = ended.SessionId is null ? null : await sessions.FindActiveAsync(ended.SessionId, cancellationToken);
        return session is null ? null : new JourneyOutcome(session, null, null);
    }

    private static string? BindingOf(HttpContext http, bool create)
    {
        var value = http.Request.Cookies[BrowserCookie];
        if (string.IsNullOrEmpty(value))
        {
            if (!create)
            {
                return null;
            }
            value = NewId();
            http.Response.Cookies.Append(BrowserCookie, value, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                IsEssential = true,
            });
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
    }

    private static string NewId() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
}

/// <summary>How a consumed journey ended: a session, or an error for the service.</summary>
public sealed record JourneyOutcome(HubSession? Session, string? Error, string? ErrorDescription);
