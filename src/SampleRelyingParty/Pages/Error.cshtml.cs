using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SampleRelyingParty.Pages;

/// <summary>Where a failed login lands (see <c>NationalIdLogin.ShowErrorPage</c>), with the hub's error if it sent one.</summary>
public sealed class ErrorModel : PageModel
{
    [BindProperty(SupportsGet = true, Name = "error")]
    public string? Error { get; set; }

    [BindProperty(SupportsGet = true, Name = "error_description")]
    public string? Description { get; set; }

    public string Message => Error switch
    {
        "access_denied" => "The login was cancelled or refused, so you are not logged in.",
        "login_required" or "consent_required" or "interaction_required" => "The identity hub needs you to log in again.",
        _ => "The login could not be completed.",
    };
}
