using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The consent page in a real browser: a person's first login to the sample service (registered <c>consent:
/// explicit</c>) names the service and what it receives in plain words, in the person's language, is usable with the
/// keyboard alone, passes axe, and <c>Cancel</c> brings the service an <c>access_denied</c>.
/// </summary>
public sealed class ConsentJourneyTests(LiveServers servers) : IClassFixture<LiveServers>
{
    private const string Service = "Sample service (test)";

    [Theory]
    [InlineData("vi", "vi-VN")]
    [InlineData("en", "en-US")]
    [InlineData("fr", "fr-FR")]
    public async Task FirstLogin_ShowsTheServiceAndEachClaimInPlainWords_AndContinueWithTheKeyboardLogsIn(string language, string locale)
    {
        var person = await servers.CreateRegistryPersonAsync();
        await using var context = await servers.NewContextAsync(locale);
        var page = await context.NewPageAsync();
        await SignInAsync(page, person, language);

        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/consent/")));
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HubText.Of(language, "Consent.Title"), Level = 1 })).ToBeVisibleAsync();
        var items = page.GetByRole(AriaRole.List, new() { Name = HubText.Of(language, "Consent.ListLabel").Replace("{0}", Service, StringComparison.Ordinal) })
            .GetByRole(AriaRole.Listitem);
        foreach (var claim in new[] { "given_name", "family_name", "birthdate", "birthplace", "email" })
        {
            await Expect(items.GetByText(HubText.Of(language, "Claim." + claim), new() { Exact = true })).ToHaveCountAsync(1);
        }
        await Expect(page.GetByText(Service).First).ToBeVisibleAsync();
        await Accessibility.AssertNoWcagViolationsAsync(page, $"The consent page ({language})");

        // Keyboard alone: Tab to Continue, Enter.
        var agree = page.GetByRole(AriaRole.Button, new() { Name = HubText.Of(language, "Consent.Continue"), Exact = true });
        await LiveServers.TabToAsync(page, agree);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(servers.ServiceUrl + "/profile");

        // Remembered: logging out of the service alone and in again goes straight back, without the page.
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=" + language);
        await Expect(page).ToHaveURLAsync(servers.ServiceUrl + "/profile");
    }

    [Fact]
    public async Task Cancel_SendsTheServiceAccessDenied()
    {
        var person = await servers.CreateRegistryPersonAsync();
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await SignInAsync(page, person, "en");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.ServiceUrl + "/error") + ".*error=access_denied"));
    }

    private async Task SignInAsync(IPage page, RegistryPerson person, string language)
    {
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=" + language);
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await page.GetByLabel(HubText.Of(language, "Username")).FillAsync(person.Username);
        await page.GetByLabel(HubText.Of(language, "Password")).FillAsync(person.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = HubText.Of(language, "SignIn.Button"), Exact = true }).ClickAsync();
    }
}
