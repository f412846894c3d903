using IdentityHub.IdentitySources;
using IdentityHub.Login;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Choose;

/// <summary>The chooser: one link per identity source that can reach the level the service asked for.</summary>
public sealed class IndexModel(LoginJourneys journeys, SourceCatalog catalog) : PageModel
{
    public IReadOnlyList<SourceChoice> Sources { get; private set; } = [];

    /// <summary>The service named a source (idp_hint) that is unknown, disabled or too weak for the request.</summary>
    public bool UnknownSource { get; private set; }

    public async Task<IActionResult> OnGetAsync(string journey, string? notice, CancellationToken cancellationToken)
    {
        var pending = await journeys.FindPendingAsync(HttpContext, journey, cancellationToken);
        if (pending is null)
        {
            return RedirectToPage("/Problem/Index", new { code = "journey_expired" });
        }
        var offered = await catalog.OfferedAsync(pending.AskedAcr, cancellationToken);
        Sources = [.. offered.Select(s => new SourceChoice(s.DisplayName, SourceCatalog.StartUrl(s, pending)))];
        UnknownSource = notice == "unknown_source";
        return Page();
    }
}

public sealed record SourceChoice(string DisplayName, string Url);
