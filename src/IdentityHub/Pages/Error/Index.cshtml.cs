using System.Diagnostics.CodeAnalysis;
using IdentityHub.Errors;
using IdentityHub.Login;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

// Razor Pages names the namespace after the folder of the /error page; no other language ever consumes it.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespace", Target = "~N:IdentityHub.Pages.Error")]

namespace IdentityHub.Pages.Error;

/// <summary>
/// The hub's error page: a message, the error's code and the request's trace id to quote to a help desk, and the way
/// back to the service. Errors that must not go back to a service (an unverified redirect URI, an unknown client)
/// arrive from OpenIddict through status-code re-execution; a journey's errors through a redirect naming the journey.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed partial class IndexModel(LoginJourneys journeys, ILogger<IndexModel> logger) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Journey { get; set; }

    /// <summary>Back to the service, which then receives the error (the journey ended).</summary>
    public string? BackToService { get; private set; }

    /// <summary>The journey is still open: the chooser, to try another source.</summary>
    public string? ChooseAgain { get; private set; }

    /// <summary>The journey is still open: where the form that ends it goes (the service then receives access_denied).</summary>
    public string? Cancel { get; private set; }

    public HubError Error { get; private set; } = HubErrors.ServerError;
    public string? Description { get; private set; }
    public string TraceId { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (HttpContext.GetOpenIddictServerResponse() is { Error: { Length: > 0 } error } response)
        {
            // OpenIddict's own codes are shown as they are; those the table does not list read as a bad request.
            Code = error;
            Description = response.ErrorDescription;
            Error = HubErrors.Find(error) ?? HubErrors.InvalidRequest;
        }
        else
        {
            // No code at all: a status re-executed here (a path under /connect that does not exist, say).
            Error = Code is null ? HubErrors.ServerError
                : int.TryParse(Code, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) ? HubErrors.ForStatus(status)
                : HubErrors.Find(Code) ?? HubErrors.InvalidRequest;
            Code = Error.Code;
        }
        // A status set before this page (by OpenIddict, the exception handler, a missing endpoint) is the truth.
        if (Response.StatusCode == StatusCodes.Status200OK)
        {
            Response.StatusCode = Error.Status;
        }
        TraceId = HubErrors.TraceId(HttpContext);
        // With the request's scope (its trace id), this is the line support finds from what the person quotes.
        LogShown(logger, Code, Response.StatusCode);

        switch (await journeys.FindAsync(HttpContext, Journey, cancellationToken))
        {
            case { Step: LoginStep.Resume, Error: not null } failed:
                BackToService = LoginJourneys.ResumeUrl(failed);
                break;
            case { Step: LoginStep.Authenticate } open:
                ChooseAgain = LoginJourneys.ChooserUrl(open.Id);
                Cancel = ChooseAgain + "?handler=Cancel";
                break;
        }
    }

    public Task OnPostAsync(CancellationToken cancellationToken) => OnGetAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Error page shown: {Code} ({Status}).")]
    private static partial void LogShown(ILogger logger, string code, int status);
}
