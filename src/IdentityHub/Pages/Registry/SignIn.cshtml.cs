using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Registry;
using IdentityHub.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace IdentityHub.Pages.Registry;

/// <summary>The national registry's password sign-in, one step of a login journey.</summary>
public sealed class SignInModel(LoginJourneys journeys, PasswordSignIn passwords, HubSessions sessions, IStringLocalizer<SharedResource> localizer) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Journey { get; set; }

    [BindProperty]
    public SignInInput Input { get; set; } = new();

    public SignInView View { get; private set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await journeys.FindPendingAsync(HttpContext, Journey, cancellationToken) is null ? JourneyExpired() : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var journey = await journeys.FindPendingAsync(HttpContext, Journey, cancellationToken);
        if (journey is null)
        {
            return JourneyExpired();
        }
        if (string.IsNullOrWhiteSpace(Input.Username) || string.IsNullOrEmpty(Input.Password))
        {
            View = new SignInView(
                Problem: localizer["SignIn.ErrorSummary"],
                UsernameError: string.IsNullOrWhiteSpace(Input.Username) ? localizer["SignIn.UsernameRequired"].Value : null,
                PasswordError: string.IsNullOrEmpty(Input.Password) ? localizer["SignIn.PasswordRequired"].Value : null);
            return Page();
        }

        var (result, personId) = await passwords.CheckAsync(Input.Username, Input.Password, cancellationToken);
        switch (result)
        {
            case PasswordCheck.LockedOut:
                View = new SignInView(Problem: localizer["SignIn.Locked"]);
                return Page();
            case PasswordCheck.Failed:
                View = new SignInView(Problem: localizer["SignIn.Invalid"]);
                return Page();
        }

        var session = await sessions.StartAsync(HttpContext, personId, IdentitySource.RegistryId, PasswordSignIn.Level, "pwd", cancellationToken);
        await journeys.CompleteAsync(journey, session, cancellationToken);
        return LocalRedirect(LoginJourneys.ResumeUrl(journey));
    }

    private RedirectToPageResult JourneyExpired() => RedirectToPage("/Problem/Index", new { code = "journey_expired" });
}
