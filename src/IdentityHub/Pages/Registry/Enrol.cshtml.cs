using IdentityHub.Login;
using IdentityHub.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;

namespace IdentityHub.Pages.Registry;

/// <summary>
/// Setting up an authenticator app: the setup key and its QR code, a first code to activate it, then the ten recovery
/// codes, shown this once. Reached in a login (with <c>journey</c>) when the level asked needs a second factor the person
/// lacks, or from the security page by a signed-in person (without).
/// </summary>
[EnableRateLimiting(RegistryRateLimits.PolicyName)]
public sealed class EnrolModel(RegistryLogin registry, Authenticator authenticator, AccountHolders holders, CodeAttempts attempts,
    IStringLocalizer<SharedResource> localizer) : PageModel
{
    private const string SecurityPath = AccountHolders.SecurityPath;

    [BindProperty(SupportsGet = true)]
    public string? Journey { get; set; }

    [BindProperty]
    public string? Code { get; set; }

    public TotpSetup? Setup { get; private set; }

    /// <summary>Set once the app is active: the codes to write down, shown in this response only.</summary>
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    public string? Problem { get; private set; }

    public bool InLogin => !string.IsNullOrEmpty(Journey);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var target = await LoadAsync(cancellationToken);
        if (target.Elsewhere is not null)
        {
            return target.Elsewhere;
        }
        return await ShowSetupAsync(target.PersonId, cancellationToken);
    }

    /// <summary><c>Activate</c>: the first code proves the app holds the secret.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var target = await LoadAsync(cancellationToken);
        if (target.Elsewhere is not null)
        {
            return target.Elsewhere;
        }
        if (Messages.HasDuplicate(Request, nameof(Code)))
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Problem = localizer["SignIn.ErrorSummary"];
            return await ShowSetupAsync(target.PersonId, cancellationToken);
        }
        IReadOnlyList<string>? codes = null;
        var attempt = await attempts.TryAsync(target.Username, target.PersonId, async () => (codes = await authenticator.ActivateAsync(target.PersonId, Code, cancellationToken)) is not null,
            cancellationToken);
        if (Messages.Refusal(attempt, Response, localizer, "Enrol.InvalidCode") is { } refusal)
        {
            Problem = refusal;
            return await ShowSetupAsync(target.PersonId, cancellationToken);
        }
        if (target.Pending is { } pending && !await registry.MarkEnrolledAsync(pending, cancellationToken))
        {
            return LocalRedirect(RegistryLogin.SignInUrl(pending.JourneyId));
        }
        RecoveryCodes = codes!;
        return Page();
    }

    /// <summary><c>Continue</c>, once the codes are written down: the login goes on at <c>eidas2</c>, or back to the security page.</summary>
    public async Task<IActionResult> OnPostContinueAsync(CancellationToken cancellationToken)
    {
        if (!InLogin)
        {
            return LocalRedirect(SecurityPath);
        }
        var visit = await registry.VisitAsync(HttpContext, Journey, SecondFactorStage.Enrolled, cancellationToken);
        if (visit is not { Pending: { } pending, Factor: { } factor })
        {
            return LocalRedirect(visit.Elsewhere!);
        }
        // The person proved the new app with a code: password and code, as at the second-factor page.
        return LocalRedirect(await registry.CompleteAsync(HttpContext, pending, factor, SecondFactorStage.Enrolled, RegistryLogin.CodeAmr, cancellationToken));
    }

    private async Task<IActionResult> ShowSetupAsync(Guid personId, CancellationToken cancellationToken)
    {
        Setup = await authenticator.BeginEnrolmentAsync(personId, cancellationToken);
        if (Setup is null)
        {
            // An app was activated meanwhile (another tab): a login then proves it; the security page shows it.
            return LocalRedirect(InLogin ? RegistryLogin.SignInUrl(Journey!) : SecurityPath);
        }
        return Page();
    }

    private async Task<EnrolTarget> LoadAsync(CancellationToken cancellationToken)
    {
        if (!InLogin)
        {
            var access = await holders.FindAsync(HttpContext, "/registry/enrol", cancellationToken);
            if (access.Holder is not { Username: { } username } holder)
            {
                return new EnrolTarget(null, default, "", LocalRedirect(access.LogInFirst ?? SecurityPath));
            }
            return holder.Factors.Totp
                ? new EnrolTarget(null, default, "", LocalRedirect(SecurityPath))
                : new EnrolTarget(null, holder.PersonId, username, null);
        }
        var visit = await registry.VisitAsync(HttpContext, Journey, SecondFactorStage.Enrol, cancellationToken);
        return visit is { Pending: { } pending, Factor: { } factor }
            ? new EnrolTarget(pending, factor.PersonId, factor.Username, null)
            : new EnrolTarget(null, default, "", LocalRedirect(visit.Elsewhere!));
    }

    private sealed record EnrolTarget(PendingAuthentication? Pending, Guid PersonId, string Username, IActionResult? Elsewhere);
}
