using IdentityHub.Login;
using IdentityHub.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;

namespace IdentityHub.Pages.Registry;

/// <summary>
/// The second factor after a right password, when the level asked needs one: an authenticator code, a recovery code, or
/// (for a person with passkeys) a passkey. Wrong codes count towards the account's lock like wrong passwords.
/// </summary>
[EnableRateLimiting(RegistryRateLimits.PolicyName)]
public sealed class SecondFactorModel(RegistryLogin registry, Authenticator authenticator, CodeAttempts attempts, IStringLocalizer<SharedResource> localizer)
    : PageModel
{
    public const string RecoveryMethod = "recovery";

    [BindProperty(SupportsGet = true)]
    public string? Journey { get; set; }

    /// <summary><c>recovery</c>: the recovery-code form instead of the authenticator's.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Method { get; set; }

    [BindProperty]
    public string? Code { get; set; }

    public RegistryFactors Factors { get; private set; } = new(false, false, null, 0, 0);

    public string? Problem { get; private set; }

    public bool Recovery => Method == RecoveryMethod;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var (_, _, elsewhere) = await LoadAsync(cancellationToken);
        return elsewhere ?? Page();
    }

    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) =>
        VerifyAsync((personId, code) => authenticator.VerifyCodeAsync(personId, code, cancellationToken), "SecondFactor.InvalidCode", cancellationToken);

    public Task<IActionResult> OnPostRecoveryAsync(CancellationToken cancellationToken)
    {
        Method = RecoveryMethod;
        return VerifyAsync((personId, code) => authenticator.UseRecoveryCodeAsync(personId, code, cancellationToken), "SecondFactor.InvalidRecoveryCode", cancellationToken);
    }

    private async Task<IActionResult> VerifyAsync(Func<Guid, string?, Task<bool>> check, string invalidMessage, CancellationToken cancellationToken)
    {
        var (pending, factor, elsewhere) = await LoadAsync(cancellationToken);
        if (elsewhere is not null)
        {
            return elsewhere;
        }
        if (Messages.HasDuplicate(Request, nameof(Code)))
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Problem = localizer["SignIn.ErrorSummary"];
            return Page();
        }
        var attempt = await attempts.TryAsync(factor!.Username, factor.PersonId, () => check(factor.PersonId, Code), cancellationToken);
        if (Messages.Refusal(attempt, Response, localizer, invalidMessage) is { } refusal)
        {
            Problem = refusal;
            if (attempt.Outcome == CodeAttemptOutcome.Wrong)
            {
                Factors = await registry.FactorsAsync(factor.PersonId, cancellationToken);
            }
            return Page();
        }
        return LocalRedirect(await registry.CompleteAsync(HttpContext, pending!, factor, SecondFactorStage.Verify, RegistryLogin.CodeAmr, cancellationToken));
    }

    private async Task<(PendingAuthentication? Pending, PendingFactor? Factor, IActionResult? Elsewhere)> LoadAsync(CancellationToken cancellationToken)
    {
        var visit = await registry.VisitAsync(HttpContext, Journey, SecondFactorStage.Verify, cancellationToken);
        if (visit.Factor is not { } factor)
        {
            return (null, null, LocalRedirect(visit.Elsewhere!));
        }
        Factors = await registry.FactorsAsync(factor.PersonId, cancellationToken);
        return (visit.Pending, factor, null);
    }
}
