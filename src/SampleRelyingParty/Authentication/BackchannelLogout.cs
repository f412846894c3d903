using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace SampleRelyingParty.Authentication;

/// <summary>OpenID Connect Back-Channel Logout 1.0: the hub tells us, server to server, that a session ended.</summary>
internal static partial class BackchannelLogout
{
    private const string LogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    public static async Task<IResult> HandleAsync(
        [FromForm(Name = "logout_token")] string? logoutToken,
        IOptionsMonitor<OpenIdConnectOptions> oidcOptions,
        LoggedOutSessions sessions,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        response.Headers.CacheControl = "no-store";
        var logger = loggerFactory.CreateLogger(typeof(BackchannelLogout));
        var token = string.IsNullOrEmpty(logoutToken) ? null
            : await ValidateAsync(logoutToken, oidcOptions.Get(OpenIdConnectDefaults.AuthenticationScheme), logger, cancellationToken);
        if (token is null)
        {
            return Results.BadRequest();
        }

        token.TryGetPayloadValue<string>("sid", out var sid);
        token.TryGetPayloadValue<string>("sub", out var sub);
        sessions.End(sid, sub, time.GetUtcNow());
        return Results.Ok();
    }

    private static async Task<JsonWebToken?> ValidateAsync(string logoutToken, OpenIdConnectOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        // The handler's configuration manager already caches the hub's discovery document and keys.
        var configurationManager = options.ConfigurationManager
            ?? throw new InvalidOperationException("The OpenID Connect handler has no configuration manager.");
        var hub = await configurationManager.GetConfigurationAsync(cancellationToken);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(logoutToken, new TokenValidationParameters
        {
            ValidIssuer = hub.Issuer,
            ValidAudience = options.ClientId,
            IssuerSigningKeys = hub.SigningKeys,
            // exp is still checked when present; iat, events and nonce below are what make this a logout token.
            RequireExpirationTime = false,
        });
        if (!result.IsValid)
        {
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // The hub has rotated its key since we cached them: refresh (in the background) for its next call,
                // as the handler does for ID tokens.
                configurationManager.RequestRefresh();
            }
            LogRejected(logger, result.Exception?.Message);
            return null;
        }

        var token = (JsonWebToken)result.SecurityToken;
        var isLogoutToken = token.TryGetClaim("iat", out _)
            && !token.TryGetClaim("nonce", out _) // an ID token must never pass for a logout token
            && (token.TryGetClaim("sid", out _) || token.TryGetClaim("sub", out _))
            && token.TryGetPayloadValue<JsonElement>("events", out var events)
            && events.ValueKind == JsonValueKind.Object
            && events.TryGetProperty(LogoutEvent, out var logoutEvent)
            && logoutEvent.ValueKind == JsonValueKind.Object;
        if (!isLogoutToken)
        {
            LogRejected(logger, "not a logout token (iat, events, sid or sub missing, or nonce present)");
            return null;
        }
        return token;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Back-channel logout token rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string? reason);
}
