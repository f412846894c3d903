using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The citizen dashboard <c>/account</c> after a login to the sample service: its sections by heading, the login in the
/// connection history, a <c>Log out</c> per active session and <c>Download my data</c>; axe on it in Vietnamese,
/// English and French; and the download and the logout by keyboard alone.
/// </summary>
public sealed class AccountDashboardTests(LiveServers servers) : IClassFixture<LiveServers>
{
    private const string ServiceName = "Sample service (test)";

    [Theory]
    [InlineData("vi", "vi-VN")]
    [InlineData("en", "en-US")]
    [InlineData("fr", "fr-FR")]
    public async Task Dashboard_AfterALoginToTheService_ShowsIt_InEachLanguage_WithNoWcagViolations(string language, string locale)
    {
        var person = await servers.CreateRegistryPersonAsync();
        string Text(string key) => HubText.Of(language, key);
        await using var context = await servers.NewContextAsync(locale);
        var page = await context.NewPageAsync();
        await LogInToTheServiceAsync(page, person, language);

        // The hub session of that login opens the dashboard.
        await page.GotoAsync(servers.HubUrl + "/account?culture=" + language);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = Text("Account.Title"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        foreach (var heading in new[] { "Account.History", "Account.Shared", "Account.Sessions", "Account.Consents", "Account.Security", "Account.YourData" })
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = Text(heading), Level = 2, Exact = true })).ToBeVisibleAsync();
        }
        // The consent given on the way to the service, with its Withdraw button.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = Text("Account.Withdraw"), Exact = true })).ToHaveCountAsync(1);
        var history = page.GetByRole(AriaRole.Region, new() { Name = Text("Account.History"), Exact = true });
        await Expect(history.GetByRole(AriaRole.Heading, new() { Name = ServiceName, Level = 3 })).ToBeVisibleAsync();
        await Expect(history.GetByRole(AriaRole.Listitem).Filter(new() { HasText = Text("Claim.given_name") }).First).ToBeVisibleAsync();
        await Expect(history.GetByText(Text("Level.eidas1"), new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText(Text("Account.NothingShared"))).ToBeVisibleAsync();
        var sessions = page.GetByRole(AriaRole.Region, new() { Name = Text("Account.Sessions"), Exact = true });
        await Expect(sessions.GetByRole(AriaRole.Button, new() { Name = Text("Account.LogOut"), Exact = true })).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = Text("Account.ManageSecurity") })).ToHaveAttributeAsync("href", "/account/security");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = Text("Account.Download"), Exact = true })).ToBeVisibleAsync();

        await Screenshots.SaveAsync(page, $"account-{language}.png");
        await Accessibility.AssertNoWcagViolationsAsync(page, $"The dashboard ({language})");
        await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The dashboard ({language})");
    }

    [Fact]
    public async Task Dashboard_UsingTheKeyboardAlone_DownloadsTheData_ThenLogsOut()
    {
        var person = await servers.CreateRegistryPersonAsync();
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await LogInToTheServiceAsync(page, person, "en");
        await page.GotoAsync(servers.HubUrl + "/account");

        var download = page.GetByRole(AriaRole.Button, new() { Name = "Download my data", Exact = true });
        await LiveServers.TabToAsync(page, download, 40);
        var file = await page.RunAndWaitForDownloadAsync(() => page.Keyboard.PressAsync("Enter"));
        Assert.Matches("^identityhub-my-data-\\d{4}-\\d{2}-\\d{2}\\.json$", file.SuggestedFilename);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync((await file.PathAsync())!)))
        {
            Assert.Equal(person.Username, json.RootElement.GetProperty("registryAccount").GetProperty("username").GetString());
            var connection = Assert.Single(json.RootElement.GetProperty("connectionHistory").EnumerateArray());
            Assert.Equal(LiveServers.ClientId, connection.GetProperty("service").GetProperty("clientId").GetString());
        }

        // Shift+Tab goes back up the page to this browser's session and its Log out button.
        var logOut = page.GetByRole(AriaRole.Button, new() { Name = "Log out", Exact = true });
        await LiveServers.TabToAsync(page, logOut, 10, "Shift+Tab");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(servers.HubUrl + "/logout/done");

        // The hub session has ended: the dashboard asks for a login again.
        await page.GotoAsync(servers.HubUrl + "/account");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
    }

    /// <summary>The sample service's login, the hub's pages in <paramref name="language"/>, with the person's password: ends on the service's profile.</summary>
    private async Task LogInToTheServiceAsync(IPage page, RegistryPerson person, string language)
    {
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=" + language);
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await page.GetByLabel(HubText.Of(language, "Username")).FillAsync(person.Username);
        await page.GetByLabel(HubText.Of(language, "Password")).FillAsync(person.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = HubText.Of(language, "SignIn.Button"), Exact = true }).ClickAsync();
        await servers.ArriveAtProfileAsync(page);
    }
}
