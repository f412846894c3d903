using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Logout;

/// <summary>Asks the person to confirm a logout that no valid id_token_hint vouches for.</summary>
public sealed class IndexModel : PageModel
{
    private static readonly HashSet<string> Forwarded = ["post_logout_redirect_uri", "state", "client_id", "ui_locales"];

    public IReadOnlyList<(string Name, string Value)> Parameters { get; private set; } = [];

    public void OnGet() => Parameters = [.. Request.Query
        .Where(p => Forwarded.Contains(p.Key))
        .Select(p => (p.Key, p.Value.ToString()))];
}
