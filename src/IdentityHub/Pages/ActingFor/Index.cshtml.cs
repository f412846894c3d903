using IdentityHub.Enterprises;
using IdentityHub.Login;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.ActingFor;

/// <summary>
/// The acting-for page (CONTRACT section 4, docs/design.md "Acting for an enterprise"): "As an individual", or one
/// radio per enterprise the person represents, then <c>Continue</c>.
/// </summary>
public sealed class IndexModel(ActingForStep step) : PageModel
{
    public const string IndividualValue = ActingForStep.AsAnIndividual;

    public string ServiceName { get; private set; } = "";
    public IReadOnlyList<Enterprises.ActingFor> Options { get; private set; } = [];
    public bool IndividualAllowed { get; private set; }
    public string Checked { get; private set; } = IndividualValue;

    /// <summary>Set when the form came back with a choice that was not offered.</summary>
    public bool ChoiceRefused { get; private set; }

    public async Task<IActionResult> OnGetAsync(string journey, CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(HttpContext, journey, cancellationToken);
        return visit.Pending is { } pending ? Show(pending) : LocalRedirect(visit.Elsewhere!);
    }

    public async Task<IActionResult> OnPostAsync(string journey, string? choice, CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(HttpContext, journey, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return LocalRedirect(visit.Elsewhere!);
        }
        if (await step.ChooseAsync(HttpContext, pending, choice, cancellationToken) is { } next)
        {
            return LocalRedirect(next);
        }
        ChoiceRefused = true;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Show(pending);
    }

    private PageResult Show(PendingActingFor pending)
    {
        ServiceName = pending.ServiceName;
        Options = pending.Options;
        IndividualAllowed = pending.IndividualAllowed;
        Checked = pending.Preselected;
        return Page();
    }
}
