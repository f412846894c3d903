using System.Collections.Frozen;
using System.Diagnostics;
using OAuth = OpenIddict.Abstractions.OpenIddictConstants.Errors;

namespace IdentityHub.Errors;

/// <summary>
/// One error the hub can end a request with: the stable code a person quotes to a help desk, the OAuth error a
/// service receives when the error ends its login, the HTTP status of the answer (the hub's error page shows every
/// login error with 400, as a refused request; token and API errors keep the status of their protocol), and the
/// message shown on the page (a key of SharedResource, in vi, en and fr). docs/integration.md, "Errors", lists them.
/// </summary>
public sealed record HubError(string Code, string OAuthError, int Status, string MessageKey);

/// <summary>The hub's error codes: the only place a code is written (docs/integration.md, "Errors").</summary>
public static class HubErrors
{
    // Errors about the request itself, raised by OpenIddict or by the hub's protocol rules.
    public static readonly HubError InvalidRequest = new(OAuth.InvalidRequest, OAuth.InvalidRequest, StatusCodes.Status400BadRequest, "Error.invalid_request");
    public static readonly HubError InvalidClient = new(OAuth.InvalidClient, OAuth.InvalidClient, StatusCodes.Status400BadRequest, "Error.invalid_client");
    public static readonly HubError UnauthorizedClient = new(OAuth.UnauthorizedClient, OAuth.UnauthorizedClient, StatusCodes.Status400BadRequest, "Error.unauthorized_client");
    public static readonly HubError InvalidScope = new(OAuth.InvalidScope, OAuth.InvalidScope, StatusCodes.Status400BadRequest, "Error.invalid_scope");
    public static readonly HubError UnsupportedResponseType = new(OAuth.UnsupportedResponseType, OAuth.UnsupportedResponseType, StatusCodes.Status400BadRequest, "Error.invalid_request");
    public static readonly HubError RequestNotSupported = new(OAuth.RequestNotSupported, OAuth.RequestNotSupported, StatusCodes.Status400BadRequest, "Error.invalid_request");
    public static readonly HubError RequestUriNotSupported = new(OAuth.RequestUriNotSupported, OAuth.RequestUriNotSupported, StatusCodes.Status400BadRequest, "Error.invalid_request");

    /// <summary>RFC 8707 2: a <c>resource</c> that is no data provider's, or one the request or the grant does not cover.</summary>
    public static readonly HubError InvalidTarget = new(OAuth.InvalidTarget, OAuth.InvalidTarget, StatusCodes.Status400BadRequest, "Error.invalid_scope");

    // Token, userinfo and admin API errors: JSON or a WWW-Authenticate header, never a page a person sees.
    public static readonly HubError InvalidGrant = new(OAuth.InvalidGrant, OAuth.InvalidGrant, StatusCodes.Status400BadRequest, "Error.invalid_request");
    public static readonly HubError InvalidToken = new(OAuth.InvalidToken, OAuth.InvalidToken, StatusCodes.Status401Unauthorized, "Error.invalid_request");
    public static readonly HubError InsufficientScope = new(OAuth.InsufficientScope, OAuth.InsufficientScope, StatusCodes.Status403Forbidden, "Error.invalid_scope");

    // How a login ends without a person signed in.
    public static readonly HubError AccessDenied = new(OAuth.AccessDenied, OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.access_denied");
    public static readonly HubError LoginRequired = new(OAuth.LoginRequired, OAuth.LoginRequired, StatusCodes.Status400BadRequest, "Error.login_required");
    public static readonly HubError ConsentRequired = new(OAuth.ConsentRequired, OAuth.ConsentRequired, StatusCodes.Status400BadRequest, "Error.consent_required");
    public static readonly HubError ConsentDeclined = new("consent_declined", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.consent_declined");
    public static readonly HubError InteractionRequired = new(OAuth.InteractionRequired, OAuth.InteractionRequired, StatusCodes.Status400BadRequest, "Error.interaction_required");

    // A service only for enterprises, and a person who represents none (docs/design.md, "Acting for an enterprise").
    public static readonly HubError NoEnterprise = new("no_enterprise", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.no_enterprise");
    public static readonly HubError NoSourceForLevel = new("no_source_for_level", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.no_source_for_level");
    public static readonly HubError Cancelled = new("cancelled", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.cancelled");
    public static readonly HubError JourneyExpired = new("journey_expired", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.journey_expired");
    public static readonly HubError StepOutOfOrder = new("step_out_of_order", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.step_out_of_order");
    public static readonly HubError SourceUnavailable = new("source_unavailable", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.source_unavailable");
    public static readonly HubError InvalidCallback = new("invalid_callback", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.invalid_callback");
    public static readonly HubError IncompleteIdentity = new("incomplete_identity", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.incomplete_identity");
    public static readonly HubError InsufficientAssurance = new("insufficient_assurance", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.insufficient_assurance");
    public static readonly HubError IdentityConflict = new("identity_conflict", OAuth.AccessDenied, StatusCodes.Status400BadRequest, "Error.identity_conflict");

    // The registry's forms, after too many attempts from one address or for one account (with Retry-After).
    public static readonly HubError TooManyRequests = new("too_many_requests", OAuth.TemporarilyUnavailable, StatusCodes.Status429TooManyRequests, "Error.too_many_requests");

    public static readonly HubError ServerError = new(OAuth.ServerError, OAuth.ServerError, StatusCodes.Status500InternalServerError, "Error.server_error");

    public static IReadOnlyList<HubError> All { get; } =
    [
        InvalidRequest, InvalidClient, UnauthorizedClient, InvalidScope, UnsupportedResponseType, RequestNotSupported, RequestUriNotSupported, InvalidTarget,
        InvalidGrant, InvalidToken, InsufficientScope,
        AccessDenied, LoginRequired, ConsentRequired, ConsentDeclined, InteractionRequired, NoEnterprise, NoSourceForLevel, Cancelled, JourneyExpired, StepOutOfOrder, SourceUnavailable, InvalidCallback,
        IncompleteIdentity, InsufficientAssurance, IdentityConflict,
        TooManyRequests, ServerError,
    ];

    private static readonly FrozenDictionary<string, HubError> ByCode = All.ToFrozenDictionary(e => e.Code, StringComparer.Ordinal);

    /// <summary>The entry for <paramref name="code"/>; null for a code the hub does not know.</summary>
    public static HubError? Find(string? code) => code is not null && ByCode.TryGetValue(code, out var error) ? error : null;

    /// <summary>The entry shown for a bare HTTP status re-executed to the error page (a 429 of the rate limiter, say).</summary>
    public static HubError ForStatus(int status) => status switch
    {
        StatusCodes.Status429TooManyRequests => TooManyRequests,
        >= 500 => ServerError,
        _ => InvalidRequest,
    };

    /// <summary>
    /// The trace id a person reads on the error page and support finds in the logs: the W3C trace of the request when
    /// one is recorded, else ASP.NET Core's own request id.
    /// </summary>
    public static string TraceId(HttpContext http) => Activity.Current?.TraceId.ToHexString() ?? http.TraceIdentifier;
}
