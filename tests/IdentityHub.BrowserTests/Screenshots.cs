using Microsoft.Playwright;

namespace IdentityHub.BrowserTests;

internal static class Screenshots
{
    /// <summary>For people to look at (<see cref="LiveServers.ScreenshotFolder"/>); not asserted.</summary>
    public static async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(LiveServers.ScreenshotFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(LiveServers.ScreenshotFolder, name), FullPage = true });
    }
}
