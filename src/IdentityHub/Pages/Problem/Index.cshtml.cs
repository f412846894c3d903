using IdentityHub.Failures;
using IdentityHub.Login;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Problem;

/// <summary>
/// Shown for errors that must not go back to a service: an unverified redirect URI, an unknown client, an
/// expired journey. OpenIddict's errors arrive here through status-code-page re-execution.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class IndexModel(LoginJourneys journeys) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Journey { get; set; }

    /// <summary>Back to the service, which then receives the error (the journey ended).</summary>
    public string? BackToService { get; private set; }

    /// <summary>Back to the chooser, to try another source (the journey goes on).</summary>
    public string? ChooseAgain { get; private set; }

    public string MessageKey { get; private set; } = "Error.generic";
    public string? Description { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (await journeys.FindFailedAsync(HttpContext, Journey, cancellationToken) is { } failed)
        {
            BackToService = LoginJourneys.ResumeUrl(failed);
        }
        else if (await journeys.FindPendingAsync(HttpContext, Journey, cancellationToken) is { } pending)
        {
            ChooseAgain = $"/login/{Uri.EscapeDataString(pending.Id)}";
        }

        if (HttpContext.GetOpenIddictServerResponse() is { Error: { Length: > 0 } error } response)
        {
            Code = error;
            Description = response.ErrorDescription;
        }
        else if (Response.StatusCode == StatusCodes.Status200OK)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        Code ??= ErrorCodes.Generic;
        MessageKey = ErrorCodes.MessageKey(Code);
    }

    public Task OnPostAsync(CancellationToken cancellationToken) => OnGetAsync(cancellationToken);
}
