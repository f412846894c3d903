using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

namespace IdentityHub.Sessions;

/// <summary>
/// /connect/endsession (OIDC RP-Initiated Logout), after OpenIddict has checked <c>id_token_hint</c> and
/// <c>post_logout_redirect_uri</c>. A valid hint proves the service asked: no confirmation. Without one, any
/// page could log the person out, so the person confirms first (a CSRF-protected form).
/// </summary>
internal static class EndSessionEndpoint
{
    public const string ConfirmField = "hub_confirm";

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
        await sessions.LogOutAsync(http, initiating, cancellationToken);
        if (string.IsNullOrEmpty(request.PostLogoutRedirectUri))
        {
            return Results.Redirect("/logout/done");
        }
        // OpenIddict redirects to the (validated) post_logout_redirect_uri with the state.
        return Results.SignOut(new AuthenticationProperties(), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }
}
