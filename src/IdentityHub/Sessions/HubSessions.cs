using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IdentityHub.Audit;
using IdentityHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Sessions;

/// <summary>Starts, finds and ends a person's single-sign-on session (cookie in the browser, row in the database).</summary>
public sealed class HubSessions(HubDbContext db, TimeProvider time, IOptions<SessionOptions> options, IBackchannelLogoutTokens backchannel,
    BackchannelLogoutSignal signal, IDataProtectionProvider dataProtection, AuditLog audit)
{
    public const string Scheme = "HubSession";

    /// <summary>The query parameter of <see cref="SourceLogoutUrl"/> that carries the ticket.</summary>
    public const string SourceLogoutTicketParameter = "ticket";

    /// <summary>A use moves the idle end only when it is this much later than the last move: one write a minute at most.</summary>
    private static readonly TimeSpan TouchGranularity = TimeSpan.FromMinutes(1);

    /// <summary>The browser follows the ticket at once; one found later (in a history, a log) is worth nothing.</summary>
    private static readonly TimeSpan SourceLogoutTicketLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Binds a source-logout ticket to the browser it was made for: a ticket seen elsewhere opens nothing.</summary>
    private const string SourceLogoutCookie = "hub_source_logout";
    private const string SourceLogoutCookiePath = "/federation/";

    private const string UpstreamIdTokenPurpose = "IdentityHub.Sessions.UpstreamIdToken";
    private const string SourceLogoutTicketPurpose = "IdentityHub.Sessions.SourceLogoutTicket";

    /// <summary>
    /// Writes the session's row; the browser holds nothing yet. <see cref="SignInAsync"/> gives it the cookie once the
    /// caller has bound the session to what it was made for (a login journey), or <see cref="DiscardAsync"/> removes it.
    /// </summary>
    /// <param name="authenticatedAt">When the source authenticated the person (<c>auth_time</c>).</param>
    /// <param name="upstreamIdToken">The ID token an upstream source issued, when that source can end its own session at logout.</param>
    /// <param name="sourceEnterprises">The representations the source asserted (<see cref="HubSession.SourceEnterprises"/>).</param>
    public async Task<HubSession> CreateAsync(Guid personId, string sourceId, string acr, string amr, DateTimeOffset authenticatedAt, string? upstreamIdToken,
        CancellationToken cancellationToken, string? sourceEnterprises = null)
    {
        var now = time.GetUtcNow();
        var session = new HubSession
        {
            Id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24)),
            PersonId = personId,
            SourceId = sourceId,
            Acr = acr,
            Amr = amr,
            AuthenticatedAt = authenticatedAt,
            CreatedAt = now,
            ExpiresAt = now + options.Value.Absolute,
            IdleExpiresAt = Min(now + options.Value.Idle, now + options.Value.Absolute),
            // Personal data and a credential of sorts (a source accepts it as the person's logout): encrypted at rest
            // with the key ring every instance shares.
            ProtectedUpstreamIdToken = upstreamIdToken is null ? null : dataProtection.CreateProtector(UpstreamIdTokenPurpose).Protect(upstreamIdToken),
            SourceEnterprises = sourceEnterprises,
        };
        db.HubSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return session;
    }

    /// <summary>The browser takes <paramref name="session"/>; any earlier session in this browser ends: one browser, one person.</summary>
    public async Task SignInAsync(HttpContext http, HubSession session, CancellationToken cancellationToken)
    {
        // The session replaced ends like any other: its services hear of it (docs/integration.md, "Logout").
        if (await CookieSessionIdAsync(http) is { } previous && previous != session.Id)
        {
            await EndAsync(previous, initiatingClientId: null, cancellationToken);
        }
        var identity = new ClaimsIdentity([new Claim(SessionClaim, session.Id)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false, ExpiresUtc = session.ExpiresAt });
    }

    /// <summary>Removes a session no browser was given (its login was finished by another request).</summary>
    public async Task DiscardAsync(HubSession session, CancellationToken cancellationToken) =>
        await db.HubSessions.Where(s => s.Id == session.Id).ExecuteDeleteAsync(cancellationToken);

    /// <summary>
    /// The browser's session, if the database still says it is active (not ended, not idle too long, not past its
    /// absolute end); finding it is a use, which moves its idle end on every instance.
    /// </summary>
    public async Task<HubSession?> FindCurrentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var id = await CookieSessionIdAsync(http);
        if (id is null || await FindActiveAsync(id, cancellationToken) is not { } session)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var idleEnd = Min(now + options.Value.Idle, session.ExpiresAt);
        if (idleEnd - session.IdleExpiresAt >= TouchGranularity)
        {
            await db.HubSessions.Where(s => s.Id == id && s.EndedAt == null && s.IdleExpiresAt < idleEnd)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.IdleExpiresAt, idleEnd), cancellationToken);
            session.IdleExpiresAt = idleEnd;
        }
        return session;
    }

    public async Task<HubSession?> FindActiveAsync(string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.HubSessions.AsNoTracking()
            .FirstOrDefaultAsync(s => s.Id == id && s.EndedAt == null && s.ExpiresAt > now && s.IdleExpiresAt > now, cancellationToken);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>
    /// RP-initiated logout: ends the browser's session (<see cref="EndAsync"/>) and takes the cookie away.
    /// </summary>
    /// <param name="initiatingClientId">The service that asked for the logout: it knows already, and is not called.</param>
    /// <returns>The session this request ended (for <see cref="SourceLogoutUrl"/>); null when there was none to end.</returns>
    public async Task<HubSession?> LogOutAsync(HttpContext http, string? initiatingClientId, CancellationToken cancellationToken)
    {
        HubSession? ended = null;
        if (await CookieSessionIdAsync(http) is { } id
            && await db.HubSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } session
            && await EndAsync(id, initiatingClientId, cancellationToken))
        {
            ended = session;
        }
        await http.SignOutAsync(Scheme);
        return ended;
    }

    /// <summary>
    /// Where the browser goes once <see cref="LogOutAsync"/> has ended <paramref name="ended"/>, when the upstream source
    /// that authenticated the person can end its own session too: Federation's <c>/federation/{id}/logout</c>, with a
    /// ticket naming the session and <paramref name="returnUrl"/> (where the hub would have sent the browser). Null
    /// when the source cannot (the registry, a source without an end-session endpoint). docs/design.md, "Sessions".
    /// </summary>
    public string? SourceLogoutUrl(HttpContext http, HubSession ended, string returnUrl)
    {
        if (ended.ProtectedUpstreamIdToken is null)
        {
            return null;
        }
        // The ticket travels in a URL (histories, logs, a Referer) and leads to the source's ID token, which carries
        // personal data: it is good only in the browser holding this cookie.
        var binding = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        http.Response.Cookies.Append(SourceLogoutCookie, binding, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            Path = SourceLogoutCookiePath,
            MaxAge = SourceLogoutTicketLifetime,
            IsEssential = true,
        });
        var ticket = new SourceLogoutTicket(ended.Id, ended.SourceId, returnUrl, time.GetUtcNow() + SourceLogoutTicketLifetime, binding);
        var protectedTicket = dataProtection.CreateProtector(SourceLogoutTicketPurpose).Protect(JsonSerializer.Serialize(ticket));
        return QueryHelpers.AddQueryString($"/federation/{Uri.EscapeDataString(ended.SourceId)}/logout", SourceLogoutTicketParameter, protectedTicket);
    }

    /// <summary>
    /// What the logout at <paramref name="sourceId"/> needs, from a ticket of <see cref="SourceLogoutUrl"/>: where the browser
    /// goes afterwards, and the source's ID token. The token is given once, by a conditional UPDATE that clears it (on
    /// any instance, of two requests with the same ticket only one gets it): a replayed ticket gets the way on, and no
    /// token. Null for a ticket that is forged, expired, for another source, or from another browser.
    /// </summary>
    public async Task<(string ReturnUrl, string? IdTokenHint)?> TakeSourceLogoutAsync(HttpContext http, string? ticket, string sourceId,
        CancellationToken cancellationToken)
    {
        if (ReadTicket(ticket) is not { } read || read.SourceId != sourceId || read.ExpiresAt <= time.GetUtcNow()
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(http.Request.Cookies[SourceLogoutCookie] ?? ""), Encoding.UTF8.GetBytes(read.Binding)))
        {
            return null;
        }
        var stored = await db.HubSessions.AsNoTracking().Where(s => s.Id == read.SessionId && s.EndedAt != null)
            .Select(s => s.ProtectedUpstreamIdToken).FirstOrDefaultAsync(cancellationToken);
        var taken = stored is not null && await db.HubSessions.Where(s => s.Id == read.SessionId && s.ProtectedUpstreamIdToken != null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProtectedUpstreamIdToken, (string?)null), cancellationToken) == 1;
        string? idToken = null;
        if (taken)
        {
            try
            {
                idToken = dataProtection.CreateProtector(UpstreamIdTokenPurpose).Unprotect(stored!);
            }
            catch (CryptographicException)
            {
                // Its key is gone from the key ring: the source's session cannot be named, the hub's has ended anyway.
            }
        }
        return (read.ReturnUrl, idToken);
    }

    private SourceLogoutTicket? ReadTicket(string? ticket)
    {
        if (string.IsNullOrEmpty(ticket))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<SourceLogoutTicket>(dataProtection.CreateProtector(SourceLogoutTicketPurpose).Unprotect(ticket));
        }
        catch (Exception exception) when (exception is CryptographicException or FormatException or JsonException)
        {
            return null;
        }
    }

    private sealed record SourceLogoutTicket(string SessionId, string SourceId, string ReturnUrl, DateTimeOffset ExpiresAt, string Binding);

    /// <summary>
    /// Ends a session, however it ends (a logout, a new login in the same browser, the person's dashboard), and in the
    /// same transaction queues a back-channel logout for every service the session gave a code to that registered a
    /// <c>backchannelLogoutUri</c>, except <paramref name="initiatingClientId"/>. Nothing is sent here: the sender
    /// delivers them, so a slow or dead service never delays the person (docs/design.md, "Sessions").
    /// </summary>
    /// <returns>False when the session had already ended: only the request that ends it notifies, once.</returns>
    public async Task<bool> EndAsync(string sessionId, string? initiatingClientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var ended = await db.HubSessions.Where(s => s.Id == sessionId && s.EndedAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
        if (ended == 1)
        {
            var personId = await db.HubSessions.Where(s => s.Id == sessionId).Select(s => s.PersonId).FirstAsync(cancellationToken);
            audit.Add(new AuditEntry(AuditTypes.Logout)
            {
                Actor = initiatingClientId is null ? AuditEntry.Person(personId) : AuditEntry.ClientRef(initiatingClientId),
                Subject = AuditEntry.Person(personId),
                Client = initiatingClientId,
            });
            var participants = await db.SessionParticipants.AsNoTracking()
                .Where(p => p.SessionId == sessionId && p.ClientId != initiatingClientId).ToListAsync(cancellationToken);
            var uris = participants.Count == 0 ? new Dictionary<string, string>()
                : await backchannel.LogoutUrisAsync([.. participants.Select(p => p.ClientId)], cancellationToken);
            foreach (var participant in participants.Where(p => uris.ContainsKey(p.ClientId)))
            {
                db.BackchannelLogouts.Add(new BackchannelLogout
                {
                    Id = Guid.NewGuid(),
                    ClientId = participant.ClientId,
                    Uri = uris[participant.ClientId],
                    SessionId = sessionId,
                    Subject = participant.Subject,
                    CreatedAt = now,
                    NextAttemptAt = now,
                });
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        if (ended == 1)
        {
            signal.Notify();
        }
        return ended == 1;
    }

    /// <summary>
    /// Records that <paramref name="clientId"/> is being given a code from <paramref name="session"/> for the person it
    /// knows as <paramref name="subject"/>: a participant of the session, so that logout can tell it (see
    /// <see cref="LogOutAsync"/>), and a row of the person's connection history naming the <paramref name="claims"/>
    /// released. This is on every login's path: two single statements, neither in a transaction of its own; the
    /// participant's is written only the first time a service is served by the session, by the database's own check.
    /// </summary>
    /// <param name="enterpriseId">The tax code of the enterprise the person acted for (with its <paramref name="enterpriseName"/>); null as an individual.</param>
    public async Task RecordSignInAsync(HubSession session, string clientId, string subject, IEnumerable<string> claims, CancellationToken cancellationToken,
        string? enterpriseId = null, string? enterpriseName = null)
    {
        var now = time.GetUtcNow();
        // Of two requests of the same service in this session, one writes the row: one is all logout needs.
        var createdAt = db.Stored<SessionParticipant>(nameof(SessionParticipant.CreatedAt), now);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "SessionParticipants" ("SessionId", "ClientId", "Subject", "CreatedAt") VALUES ({session.Id}, {clientId}, {subject}, {createdAt})
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        db.ConnectionHistory.Add(new ConnectionRecord
        {
            PersonId = session.PersonId,
            ClientId = clientId,
            At = now,
            SourceId = session.SourceId,
            Acr = session.Acr,
            Claims = string.Join(' ', claims),
            EnterpriseId = enterpriseId,
            EnterpriseName = enterpriseName,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The person's choice on the acting-for page (a tax code, or <see cref="HubSession.AsAnIndividual"/>): the session offers it first next time.</summary>
    public Task RememberActingForAsync(string sessionId, string choice, CancellationToken cancellationToken) =>
        db.HubSessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastActingFor, choice), cancellationToken);

    /// <summary>The session the browser's cookie names, active or not (the row says).</summary>
    private static async Task<string?> CookieSessionIdAsync(HttpContext http) =>
        (await http.AuthenticateAsync(Scheme)).Principal?.FindFirstValue(SessionClaim);

    private const string SessionClaim = "sid";
}
