using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

namespace IdentityHub.Sessions;

/// <summary>
/// /connect/endsession (OIDC RP-Initiated Logout), after OpenIddict has checked <c>id_token_hint</c> and
/// <c>post_logout_redirect_uri</c>. A valid hint proves the service asked: no confirmation. Without one, any
/// page could log the person out, so the person confirms first (a CSRF-protected form). A session an upstream source
/// opened ends there too, where the source can (docs/design.md, "Sessions").
/// </summary>
internal static class EndSessionEndpoint
{
    public const string ConfirmField = "hub_confirm";
    private const string DonePath = "/logout/done";

    public static async Task<IResult> HandleAsync(HttpContext http, HubSessions sessions, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");

        var confirmed = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType
            && http.Request.Form.ContainsKey(ConfirmField) && await antiforgery.IsRequestValidAsync(http);
        if (string.IsNullOrEmpty(request.IdTokenHint) && !confirmed)
        {
            return Results.Redirect("/logout" + QueryString.Create(
                request.GetParameters().Select(p => new KeyValuePair<string, string?>(p.Key, (string?)p.Value))).ToUriComponent());
        }

        // The service that asked is the hint's audience (OpenIddict checked it was issued by the hub), else client_id.
        var initiating = request.ClientId;
        if (!string.IsNullOrEmpty(request.IdTokenHint))
        {
            var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            initiating = hint.Principal?.GetAudiences().FirstOrDefault() ?? initiating;
        }
        var ended = await sessions.LogOutAsync(http, initiating, cancellationToken);
        // The hub's session has ended and its services' logouts are queued before the browser leaves for the source:
        // a source that never sends the person back still leaves them logged out here.
        if (ended is not null && sessions.SourceLogoutUrl(http, ended, ReturnUrl(request)) is { } viaSource)
        {
            return Results.Redirect(viaSource);
        }
        if (string.IsNullOrEmpty(request.PostLogoutRedirectUri))
        {
            return Results.Redirect(DonePath);
        }
        // OpenIddict redirects to the (validated) post_logout_redirect_uri with the state.
        return Results.SignOut(new AuthenticationProperties(), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    /// <summary>
    /// Where OpenIddict would send the browser, for the way back from the source: the post_logout_redirect_uri it
    /// validated, with the service's state (as its own end-session response writes them), or the hub's page.
    /// </summary>
    private static string ReturnUrl(OpenIddictRequest request) =>
        string.IsNullOrEmpty(request.PostLogoutRedirectUri) ? DonePath
        : string.IsNullOrEmpty(request.State) ? request.PostLogoutRedirectUri
        : QueryHelpers.AddQueryString(request.PostLogoutRedirectUri, OpenIddictConstants.Parameters.State, request.State);
}
