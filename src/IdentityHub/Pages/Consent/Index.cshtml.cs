using IdentityHub.Login;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Consent;

/// <summary>
/// The consent page (CONTRACT section 4, docs/design.md "Consent"): the service's name and each piece of information
/// it will receive, in plain words; <c>Continue</c> agrees, <c>Cancel</c> declines.
/// </summary>
public sealed class IndexModel(ConsentStep step) : PageModel
{
    public string ServiceName { get; private set; } = "";
    public IReadOnlyList<string> Items { get; private set; } = [];
    public string? ActingFor { get; private set; }
    public IReadOnlyList<SharedData> Shared { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string journey, CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(HttpContext, journey, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return LocalRedirect(visit.Elsewhere!);
        }
        ServiceName = pending.ServiceName;
        Items = pending.Claims;
        Shared = pending.Shared;
        ActingFor = pending.ActingFor;
        return Page();
    }

    /// <param name="decision"><c>continue</c> or <c>cancel</c>; anything else declines, as the safe side.</param>
    public async Task<IActionResult> OnPostAsync(string journey, string? decision, CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(HttpContext, journey, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return LocalRedirect(visit.Elsewhere!);
        }
        return LocalRedirect(decision == "continue"
            ? await step.AgreeAsync(HttpContext, pending, cancellationToken)
            : await step.DeclineAsync(HttpContext, pending, cancellationToken));
    }
}
