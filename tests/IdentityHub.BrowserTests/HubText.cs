using System.Globalization;
using System.Resources;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The hub's own strings (Resources/SharedResource*.resx), so that a test drives the Vietnamese and French pages by role and
/// accessible name exactly as the English ones, with the names a screen reader reads out in that language.
/// </summary>
internal static class HubText
{
    private static readonly ResourceManager Resources = new("IdentityHub.Resources.SharedResource", typeof(SharedResource).Assembly);

    public static string Of(string language, string key) =>
        Resources.GetString(key, CultureInfo.GetCultureInfo(language)) is { Length: > 0 } text
            ? text
            : throw new InvalidOperationException($"The hub has no string {key} in {language}.");
}
