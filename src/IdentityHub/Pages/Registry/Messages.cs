using System.Globalization;
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

    public static string Locked(IStringLocalizer localizer, TimeSpan remaining) => localizer["SignIn.Locked", Minutes(remaining)];

    public static string TooManyAttempts(IStringLocalizer localizer, TimeSpan retryAfter) => localizer["SignIn.TooManyAttempts", Minutes(retryAfter)];

    private static string Minutes(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes)).ToString(CultureInfo.CurrentCulture);
}
