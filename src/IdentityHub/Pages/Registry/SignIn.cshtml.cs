using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;

namespace IdentityHub.Pages.Registry;

/// <summary>The national registry's password sign-in: the registry's page of a login journey's authentication step.</summary>
[EnableRateLimiting(RegistryRateLimits.PolicyName)]
public sealed class SignInModel(AuthenticationStep step, PasswordSignIn passwords, RegistryLogin registry, AccountLocks locks, RegistryRateLimits limits,
    IStringLocalizer<SharedResource> localizer, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Journey { get; set; }

    [BindProperty]
    public SignInInput Input { get; set; } = new();

    public SignInView View { get; private set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(HttpContext, Journey, IdentitySource.RegistryId, IdentitySourceKind.Registry, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return LocalRedirect(visit.Elsewhere!);
        }
        // The service's login_hint fills in the username (OIDC Core 3.1.2.1); the password is still the person's to give.
        Input.Username = pending.LoginHint;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(HttpContext, Journey, IdentitySource.RegistryId, IdentitySourceKind.Registry, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return LocalRedirect(visit.Elsewhere!);
        }
        if (Messages.HasDuplicate(Request, "Input.Username", "Input.Password"))
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            View = new SignInView(Problem: localizer["SignIn.ErrorSummary"]);
            return Page();
        }
        if (string.IsNullOrWhiteSpace(Input.Username) || string.IsNullOrEmpty(Input.Password))
        {
            View = new SignInView(
                Problem: localizer["SignIn.ErrorSummary"],
                UsernameError: string.IsNullOrWhiteSpace(Input.Username) ? localizer["SignIn.UsernameRequired"].Value : null,
                PasswordError: string.IsNullOrEmpty(Input.Password) ? localizer["SignIn.PasswordRequired"].Value : null);
            return Page();
        }
        if (!limits.TryAcquire(locks.KeyOf(Input.Username), out var retryAfter))
        {
            RegistryRateLimits.Reject(Response, retryAfter);
            View = new SignInView(Problem: Messages.TooManyAttempts(localizer, retryAfter));
            return Page();
        }

        var result = await passwords.CheckAsync(Input.Username, Input.Password, cancellationToken);
        switch (result.Outcome)
        {
            case PasswordCheck.LockedOut:
                View = new SignInView(Problem: Messages.Locked(localizer, result.LockedUntil!.Value - time.GetUtcNow()));
                return Page();
            case PasswordCheck.Failed:
                View = new SignInView(Problem: localizer["SignIn.Invalid"]);
                return Page();
        }
        return LocalRedirect(await registry.AfterPasswordAsync(HttpContext, pending, result, cancellationToken));
    }
}
