using IdentityHub.Errors;
using OpenIddict.Abstractions;

namespace IdentityHub.Protocol;

/// <summary>
/// A client removed through one instance is still in another's cache until the database's notification arrives
/// (<see cref="ClientCache"/>); a token written for it in that moment fails on the row it points to. The request is
/// then answered as from an unknown client, never with a 500, and the cache is emptied at once.
/// </summary>
internal static class StaleClientRefusal
{
    public static async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (ClientRemovedException) when (!http.Response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ClientCache>().Clear();
            http.Response.Clear();
            var error = HubErrors.InvalidClient;
            if (http.Request.Path.StartsWithSegments("/connect/authorize"))
            {
                http.Response.Redirect($"/error/{error.Code}");
                return;
            }
            // RFC 6749 5.2: invalid_client is a 401 at the endpoints a client authenticates to.
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.WriteAsJsonAsync(new Dictionary<string, string>
            {
                [OpenIddictConstants.Parameters.Error] = error.OAuthError,
                [OpenIddictConstants.Parameters.ErrorDescription] = "The client is not registered.",
            }, http.RequestAborted);
        }
    }
}
