using System.Globalization;
using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Login;
using IdentityHub.Registry;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SessionOptions = IdentityHub.Sessions.SessionOptions;

namespace IdentityHub.Account;

/// <summary>
/// What the person's dashboard (<c>/account</c>) shows of them: the services they logged in to, their active hub
/// sessions, the state of their second factors (docs/design.md, "Citizen dashboard"). Every list is bounded: the
/// history comes a page at a time, newest first.
/// </summary>
public sealed class AccountDashboard(
    HubDbContext db,
    LoginJourneys journeys,
    HubSessions sessions,
    RegistryLogin registry,
    AccountHolders holders,
    ServiceNames services,
    IOptions<SessionOptions> sessionOptions,
    IOptions<HistoryOptions> historyOptions,
    TimeProvider time)
{
    /// <summary>The dashboard's address, where its login comes back to.</summary>
    public const string Path = "/account";

    /// <summary>Logins shown on one page of the history.</summary>
    public const int HistoryPageSize = 20;

    /// <summary>
    /// Active sessions shown. A person has a few (one per browser, each ending within <c>Hub:Sessions:AbsoluteHours</c>);
    /// the bound keeps a flood of logins from making the page large.
    /// </summary>
    public const int MaxSessions = 50;

    /// <summary>Releases of data between agencies shown; the download has them all (Account/PersonalDataExport).</summary>
    public const int MaxReleases = 50;

    /// <summary>How long the history keeps a login (<c>Hub:History:RetentionDays</c>).</summary>
    public int RetentionDays => historyOptions.Value.RetentionDays;

    /// <summary>The person signed in at the hub, at <c>eidas1</c> as for any service, or where the browser goes to log in first.</summary>
    public Task<HubPageAccess> SignInAsync(HttpContext http, CancellationToken cancellationToken) =>
        journeys.HubPageAsync(http, AssuranceLevels.Low, Path, cancellationToken);

    /// <summary>The person's logins older than <paramref name="before"/> (a row id; null for the newest), one page of them.</summary>
    public async Task<HistoryPage> HistoryAsync(Guid personId, long? before, CancellationToken cancellationToken)
    {
        var rows = await db.ConnectionHistory.AsNoTracking()
            .Where(r => r.PersonId == personId && (before == null || r.Id < before))
            .OrderByDescending(r => r.Id).Take(HistoryPageSize + 1).ToListAsync(cancellationToken);
        var page = rows.Take(HistoryPageSize).ToList();
        var names = await services.NamesAsync(page.Select(r => r.ClientId), CultureInfo.CurrentUICulture, cancellationToken);
        var sources = await SourceNamesAsync(page.Select(r => r.SourceId), cancellationToken);
        return new HistoryPage(
            [.. page.Select(r => new HistoryEntry(r.ClientId, names.GetValueOrDefault(r.ClientId), r.At, sources.GetValueOrDefault(r.SourceId) ?? r.SourceId,
                r.Acr, r.Claims.Split(' ', StringSplitOptions.RemoveEmptyEntries), r.EnterpriseId, r.EnterpriseName))],
            rows.Count > HistoryPageSize ? page[^1].Id : null,
            before is not null);
    }

    /// <summary>The person's sessions that are still active, newest first; <paramref name="currentSessionId"/> is this browser's.</summary>
    public async Task<IReadOnlyList<ActiveSession>> ActiveSessionsAsync(Guid personId, string currentSessionId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await db.HubSessions.AsNoTracking()
            .Where(s => s.PersonId == personId && s.EndedAt == null && s.ExpiresAt > now && s.IdleExpiresAt > now)
            .OrderByDescending(s => s.CreatedAt).Take(MaxSessions).ToListAsync(cancellationToken);
        var sources = await SourceNamesAsync(rows.Select(s => s.SourceId), cancellationToken);
        var idle = sessionOptions.Value.Idle;
        // The row keeps when the session goes idle, moved on at each use (docs/design.md, "Sessions"): the last use is
        // that end less the idle time, to the minute. In a session's last IdleMinutes the idle end stops at the
        // absolute end, and the last use shown is then the earliest it can have been.
        return [.. rows.Select(s => new ActiveSession(s.Id, sources.GetValueOrDefault(s.SourceId) ?? s.SourceId, s.Acr, s.CreatedAt,
            s.IdleExpiresAt - idle > s.CreatedAt ? s.IdleExpiresAt - idle : s.CreatedAt, s.Id == currentSessionId))];
    }

    /// <summary>The person's second factors, when they have a registry account.</summary>
    public Task<RegistryFactors> SecurityAsync(Guid personId, CancellationToken cancellationToken) => registry.FactorsAsync(personId, cancellationToken);

    /// <summary>
    /// The person's passkeys, each with a <c>Remove</c> on the dashboard. Removing (and adding) happens on the security
    /// page, which asks for <c>eidas2</c> once the account has a second factor (docs/design.md, "Citizen dashboard").
    /// </summary>
    public Task<IReadOnlyList<PasskeySummary>> PasskeysAsync(Guid personId, CancellationToken cancellationToken) => holders.PasskeysAsync(personId, cancellationToken);

    /// <summary>
    /// Ends one of the person's sessions, as a logout would: the services it served are told by back-channel logout.
    /// Ending this browser's own session signs the browser out too. A session that is not the person's, or has ended
    /// already, is left alone.
    /// </summary>
    public async Task<SessionEnding> EndSessionAsync(HttpContext http, SignedInPerson person, string? sessionId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(sessionId) || sessionId.Length > 43
            || !await db.HubSessions.AnyAsync(s => s.Id == sessionId && s.PersonId == person.PersonId, cancellationToken))
        {
            return SessionEnding.NotFound;
        }
        if (sessionId == person.SessionId)
        {
            await sessions.LogOutAsync(http, initiatingClientId: null, cancellationToken);
            return SessionEnding.ThisBrowser;
        }
        return await sessions.EndAsync(sessionId, initiatingClientId: null, cancellationToken) ? SessionEnding.Ended : SessionEnding.NotFound;
    }

    private async Task<Dictionary<string, string>> SourceNamesAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        return wanted.Count == 0 ? []
            : await db.IdentitySources.AsNoTracking().Where(s => wanted.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.DisplayName, cancellationToken);
    }
}

/// <summary>One page of the history, and the row id the next (older) page starts before, if there is one.</summary>
/// <param name="IsOlderPage">The page is not the newest: it links back to it.</param>
public sealed record HistoryPage(IReadOnlyList<HistoryEntry> Entries, long? OlderBefore, bool IsOlderPage);

/// <param name="ServiceName">The service's display name in the page's language; null when it is no longer registered.</param>
public sealed record HistoryEntry(string ClientId, string? ServiceName, DateTimeOffset At, string SourceName, string Acr,
    IReadOnlyList<string> Claims, string? EnterpriseId, string? EnterpriseName);

/// <param name="Current">The session of the browser showing the page.</param>
public sealed record ActiveSession(string Id, string SourceName, string Acr, DateTimeOffset StartedAt, DateTimeOffset LastUsedAt, bool Current);

public enum SessionEnding
{
    /// <summary>Not one of the person's active sessions: nothing changed.</summary>
    NotFound,

    /// <summary>Another of the person's sessions ended.</summary>
    Ended,

    /// <summary>The browser's own session ended: the browser is signed out.</summary>
    ThisBrowser,
}
