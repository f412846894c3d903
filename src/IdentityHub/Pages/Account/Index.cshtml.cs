using System.Globalization;
using IdentityHub.Account;
using IdentityHub.Consent;
using IdentityHub.DataSharing;
using IdentityHub.Login;
using IdentityHub.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Account;

/// <summary>
/// The citizen dashboard (CONTRACT section 4): the person's connection history, data shared between agencies, active
/// sessions (each can be ended), second factors, and the download of everything the hub holds about them. The person
/// signs in as for any service, at <c>eidas1</c>.
/// </summary>
public sealed class IndexModel(AccountDashboard dashboard, PersonalDataExport export, Consents consents, DataProviders providers, ServiceNames services, TimeProvider time) : PageModel
{
    private static readonly HashSet<string> Notices = ["session-ended", "session-not-found", "consent-withdrawn", "consent-not-found"];

    public HistoryPage History { get; private set; } = new([], null, false);

    public IReadOnlyList<ActiveSession> Sessions { get; private set; } = [];

    /// <summary>The services the person agreed to share information with (CONTRACT section 4, a Withdraw button each).</summary>
    public IReadOnlyList<GivenConsent> Consents { get; private set; } = [];

    /// <summary>The latest releases of the person's data by one agency to another (CONTRACT section 8).</summary>
    public IReadOnlyList<ReleaseLine> Releases { get; private set; } = [];

    /// <summary>The data scopes among the consents' items, to name each with its agency.</summary>
    public IReadOnlyDictionary<string, DataScope> DataScopes { get; private set; } = new Dictionary<string, DataScope>();

    private IReadOnlyDictionary<string, string> _serviceNames = new Dictionary<string, string>();

    /// <summary>The receiving service's name in the page's language; its client id once it is no longer registered.</summary>
    public string ServiceName(string clientId) => _serviceNames.GetValueOrDefault(clientId) ?? clientId;

    public RegistryFactors Security { get; private set; } = new(false, false, null, 0, 0);

    public IReadOnlyList<PasskeySummary> Passkeys { get; private set; } = [];

    public int RetentionDays => dashboard.RetentionDays;

    /// <summary>What the last action did, for the status message.</summary>
    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(long? before, string? notice, CancellationToken cancellationToken)
    {
        var access = await dashboard.SignInAsync(HttpContext, cancellationToken);
        if (access.Session is not { } person)
        {
            return LocalRedirect(access.LogInFirst!);
        }
        // A page address that is not a row id (?before=x) shows the newest page, as a missing one does.
        History = await dashboard.HistoryAsync(person.PersonId, ModelState.IsValid ? before : null, cancellationToken);
        Sessions = await dashboard.ActiveSessionsAsync(person.PersonId, person.SessionId, cancellationToken);
        Consents = await consents.ListAsync(person.PersonId, cancellationToken);
        Releases = await providers.ReleasesAsync(person.PersonId, AccountDashboard.MaxReleases, CultureInfo.CurrentUICulture, cancellationToken);
        DataScopes = (await providers.ScopesAsync(Consents.SelectMany(c => c.Items), cancellationToken)).ToDictionary(d => d.Name, StringComparer.Ordinal);
        _serviceNames = await services.NamesAsync(Releases.Select(r => r.ClientId), CultureInfo.CurrentUICulture, cancellationToken);
        Security = await dashboard.SecurityAsync(person.PersonId, cancellationToken);
        Passkeys = Security.HasAccount ? await dashboard.PasskeysAsync(person.PersonId, cancellationToken) : [];
        Notice = notice is not null && Notices.Contains(notice) ? notice : null;
        return Page();
    }

    public async Task<IActionResult> OnPostLogOutAsync(string? sessionId, CancellationToken cancellationToken)
    {
        var access = await dashboard.SignInAsync(HttpContext, cancellationToken);
        if (access.Session is not { } person)
        {
            return LocalRedirect(access.LogInFirst!);
        }
        return await dashboard.EndSessionAsync(HttpContext, person, sessionId, cancellationToken) switch
        {
            SessionEnding.ThisBrowser => LocalRedirect("/logout/done"),
            SessionEnding.Ended => LocalRedirect(AccountDashboard.Path + "?notice=session-ended"),
            _ => LocalRedirect(AccountDashboard.Path + "?notice=session-not-found"),
        };
    }

    /// <summary>
    /// Withdraws one of the person's consents, which revokes every token that service holds for them (docs/design.md,
    /// "Consent"); another person's consent, or one already withdrawn, changes nothing.
    /// </summary>
    public async Task<IActionResult> OnPostWithdrawAsync(Guid? consentId, CancellationToken cancellationToken)
    {
        var access = await dashboard.SignInAsync(HttpContext, cancellationToken);
        if (access.Session is not { } person)
        {
            return LocalRedirect(access.LogInFirst!);
        }
        var withdrawn = ModelState.IsValid && consentId is { } id && await consents.WithdrawAsync(person.PersonId, id, cancellationToken);
        return LocalRedirect(AccountDashboard.Path + (withdrawn ? "?notice=consent-withdrawn" : "?notice=consent-not-found"));
    }

    public async Task<IActionResult> OnPostDownloadAsync(CancellationToken cancellationToken)
    {
        var access = await dashboard.SignInAsync(HttpContext, cancellationToken);
        if (access.Session is not { } person)
        {
            return LocalRedirect(access.LogInFirst!);
        }
        // Personal data: no cache on the way may keep a copy.
        Response.Headers.CacheControl = "no-store";
        var day = time.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return File(await export.JsonAsync(person.PersonId, cancellationToken), "application/json", $"identityhub-my-data-{day}.json");
    }
}
