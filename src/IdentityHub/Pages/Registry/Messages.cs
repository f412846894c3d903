using System.Globalization;
using IdentityHub.Registry;
using Microsoft.Extensions.Localization;

namespace IdentityHub.Pages.Registry;

/// <summary>The registry pages' messages that name a wait, in whole minutes (rounded up, at least one), and their form checks.</summary>
internal static class Messages
{
    /// <summary>
    /// A form with one of <paramref name="fields"/> given twice is no attempt anyone's browser makes: it is refused as
    /// a bad request before any check, and counts towards nothing (docs/integration.md, "Malformed requests").
    /// </summary>
    public static bool HasDuplicate(HttpRequest request, params string[] fields) =>
        request.HasFormContentType && fields.Any(field => request.Form[field].Count > 1);

    /// <summary>
    /// What a refused code attempt shows (a 429 with <c>Retry-After</c> for the rate limit); null when it was accepted.
    /// </summary>
    public static string? Refusal(CodeAttempt attempt, HttpResponse response, IStringLocalizer localizer, string wrongMessageKey)
    {
        switch (attempt.Outcome)
        {
            case CodeAttemptOutcome.TooMany:
                RegistryRateLimits.Reject(response, attempt.Wait);
                return TooManyAttempts(localizer, attempt.Wait);
            case CodeAttemptOutcome.Locked:
                return Locked(localizer, attempt.Wait);
            case CodeAttemptOutcome.Wrong:
                return localizer[wrongMessageKey];
            default:
                return null;
        }
    }

    public static string Locked(IStringLocalizer localizer, TimeSpan remaining) => localizer["SignIn.Locked", Minutes(remaining)];

    public static string TooManyAttempts(IStringLocalizer localizer, TimeSpan retryAfter) => localizer["SignIn.TooManyAttempts", Minutes(retryAfter)];

    private static string Minutes(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes)).ToString(CultureInfo.CurrentCulture);
}
