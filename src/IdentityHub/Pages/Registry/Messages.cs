using System.Globalization;
using Microsoft.Extensions.Localization;

namespace IdentityHub.Pages.Registry;

/// <summary>The registry pages' messages that name a wait, in whole minutes (rounded up, at least one).</summary>
internal static class Messages
{
    public static string Locked(IStringLocalizer localizer, TimeSpan remaining) => localizer["SignIn.Locked", Minutes(remaining)];

    public static string TooManyAttempts(IStringLocalizer localizer, TimeSpan retryAfter) => localizer["SignIn.TooManyAttempts", Minutes(retryAfter)];

    private static string Minutes(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes)).ToString(CultureInfo.CurrentCulture);
}
