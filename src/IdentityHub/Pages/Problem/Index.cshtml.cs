using IdentityHub.Failures;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Problem;

/// <summary>
/// Shown for errors that must not go back to a service: an unverified redirect URI, an unknown client, an
/// expired journey. OpenIddict's errors arrive here through status-code-page re-execution.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class IndexModel : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    public string MessageKey { get; private set; } = "Error.generic";
    public string? Description { get; private set; }

    public void OnGet()
    {
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

    public void OnPost() => OnGet();
}
