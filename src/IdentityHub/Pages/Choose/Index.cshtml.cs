using IdentityHub.Login;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Choose;

/// <summary>The chooser: one link per identity source that can reach the level the service asked for.</summary>
public sealed class IndexModel(LoginJourneys journeys) : PageModel
{
    public IReadOnlyList<SourceChoice> Sources { get; private set; } = [];

    /// <summary>The service named a source (idp_hint) that is unknown, disabled or too weak for the request.</summary>
    public bool UnknownSource { get; private set; }

    public async Task<IActionResult> OnGetAsync(string journey, string? notice, CancellationToken cancellationToken)
    {
        var lookup = await journeys.FindAsync(HttpContext, journey, LoginStep.Authenticate, cancellationToken);
        if (lookup.Journey is not { } pending)
        {
            return LocalRedirect(lookup.Elsewhere!);
        }
        Sources = await journeys.ChoicesAsync(pending, cancellationToken);
        UnknownSource = notice == "unknown_source";
        return Page();
    }

    /// <summary>The person gives up before authenticating: back to the service, which receives <c>access_denied</c>.</summary>
    public async Task<IActionResult> OnPostCancelAsync(string journey, CancellationToken cancellationToken) =>
        LocalRedirect(await journeys.CancelAsync(HttpContext, journey, cancellationToken));
}
