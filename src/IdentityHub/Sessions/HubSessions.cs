using System.Security.Claims;
using System.Security.Cryptography;
using IdentityHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Sessions;

/// <summary>Starts, finds and ends a person's single-sign-on session (cookie in the browser, row in the database).</summary>
public sealed class HubSessions(HubDbContext db, TimeProvider time, IOptions<SessionOptions> options, IBackchannelLogoutTokens backchannel, BackchannelLogoutSignal signal)
{
    public const string Scheme = "HubSession";

    /// <summary>A use moves the idle end only when it is this much later than the last move: one write a minute at most.</summary>
    private static readonly TimeSpan TouchGranularity = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Writes the session's row; the browser holds nothing yet. <see cref="SignInAsync"/> gives it the cookie once the
    /// caller has bound the session to what it was made for (a login journey), or <see cref="DiscardAsync"/> removes it.
    /// </summary>
    /// <param name="authenticatedAt">When the source authenticated the person (<c>auth_time</c>).</param>
    public async Task<HubSession> CreateAsync(Guid personId, string sourceId, string acr, string amr, DateTimeOffset authenticatedAt, CancellationToken cancellationToken)
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
    public async Task LogOutAsync(HttpContext http, string? initiatingClientId, CancellationToken cancellationToken)
    {
        if (await CookieSessionIdAsync(http) is { } id)
        {
            await EndAsync(id, initiatingClientId, cancellationToken);
        }
        await http.SignOutAsync(Scheme);
    }

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
    /// released. This is on every login's path: both rows go in one <c>SaveChanges</c>, one round trip (the participant
    /// only the first time a service is served by the session).
    /// </summary>
    public async Task RecordSignInAsync(HubSession session, string clientId, string subject, IEnumerable<string> claims, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        db.ConnectionHistory.Add(new ConnectionRecord
        {
            PersonId = session.PersonId,
            ClientId = clientId,
            At = now,
            SourceId = session.SourceId,
            Acr = session.Acr,
            Claims = string.Join(' ', claims),
        });
        var participant = await db.SessionParticipants.AnyAsync(p => p.SessionId == session.Id && p.ClientId == clientId, cancellationToken)
            ? null
            : db.SessionParticipants.Add(new SessionParticipant { SessionId = session.Id, ClientId = clientId, Subject = subject, CreatedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (participant is not null)
        {
            // The same service's other request in this session recorded it first: one row is all logout needs, and
            // this login still belongs in the history.
            participant.State = EntityState.Detached;
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>The session the browser's cookie names, active or not (the row says).</summary>
    private static async Task<string?> CookieSessionIdAsync(HttpContext http) =>
        (await http.AuthenticateAsync(Scheme)).Principal?.FindFirstValue(SessionClaim);

    private const string SessionClaim = "sid";
}
