using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Failures;

/// <summary>
/// The stable error codes a person may see and quote to a help desk. Each maps to a message key in
/// SharedResource; protocol errors keep their OAuth code.
/// </summary>
internal static class ErrorCodes
{
    public const string JourneyExpired = "journey_expired";
    public const string Generic = "server_error";

    private static readonly HashSet<string> Known =
    [
        Errors.InvalidRequest, Errors.InvalidClient, Errors.UnauthorizedClient, Errors.InvalidScope, Errors.AccessDenied, JourneyExpired,
        "source_unavailable", "invalid_callback", "incomplete_identity", "identity_conflict", "insufficient_assurance",
    ];

    public static string MessageKey(string code) => Known.Contains(code) ? "Error." + code : "Error.generic";
}
