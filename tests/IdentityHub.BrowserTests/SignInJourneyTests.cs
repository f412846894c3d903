using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityHub.BrowserTests;

/// <summary>
/// A person in a real browser (headless Chromium) logs in to the sample service through the hub's pages, by
/// role and accessible name as assistive technology sees them, with the mouse or the keyboard alone; and axe
/// checks the pages against WCAG 2.1 AA.
/// </summary>
public sealed class SignInJourneyTests(LiveServers servers) : IClassFixture<LiveServers>
{
    private const string Citizen = "demo.citizen";
    private const string Password = "Demo-Passw0rd!";

    private Regex SignInUrl => new("^" + Regex.Escape(servers.HubUrl + "/registry/signin"));

    [Fact]
    public async Task DemoCitizen_LogsInByRoleAndLabelThenLogsOut_SeesTheirClaimsAndMustSignInAgain()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();

        await page.GotoAsync(servers.ServiceUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Log in with national ID" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(SignInUrl);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await SaveScreenshotAsync(page, "registry-signin-en.png");
        await page.GetByLabel("Username").FillAsync(Citizen);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();

        await servers.ArriveAtProfileAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Who logged in", Level = 1 })).ToBeVisibleAsync();
        await Expect(Summary(page, "Level of assurance")).ToHaveTextAsync("eidas1");
        await Expect(Summary(page, "Identity source")).ToHaveTextAsync("registry");
        await Expect(ClaimValue(page, "given_name")).ToHaveTextAsync("An");
        await Expect(ClaimValue(page, "family_name")).ToHaveTextAsync("Nguyễn Văn");
        await Expect(ClaimValue(page, "acr")).ToHaveTextAsync("eidas1");
        await Expect(ClaimValue(page, "idp_id")).ToHaveTextAsync("registry");
        await SaveScreenshotAsync(page, "sample-profile.png");

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(servers.ServiceUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sample public service" })).ToBeVisibleAsync();
        var logIn = page.GetByRole(AriaRole.Link, new() { Name = "Log in with national ID" });
        await Expect(logIn).ToBeVisibleAsync();

        // The hub's session ended too: logging in again asks for the password instead of coming straight back.
        await logIn.ClickAsync();
        await Expect(page).ToHaveURLAsync(SignInUrl);
        await Expect(page.GetByLabel("Password")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Password")).ToBeEmptyAsync();
    }

    [Fact]
    public async Task DemoCitizen_UsingTheKeyboardAlone_LogsIn()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await Expect(page).ToHaveURLAsync(SignInUrl);

        var username = page.GetByLabel("Username");
        var password = page.GetByLabel("Password");
        var signIn = page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });

        // From the top of the page: skip link, language links, then the form. Tab until the username field has focus.
        for (var presses = 0; presses < 10 && !await IsFocusedAsync(username); presses++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        await Expect(username).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(Citizen);

        await page.Keyboard.PressAsync("Tab");
        await Expect(password).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(Password);

        await page.Keyboard.PressAsync("Tab");
        await Expect(signIn).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        await servers.ArriveAtProfileAsync(page, keyboard: true);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Who logged in", Level = 1 })).ToBeVisibleAsync();
        await Expect(ClaimValue(page, "given_name")).ToHaveTextAsync("An");
    }

    [Fact]
    public async Task SignIn_WithAWrongPassword_ShowsAnAlertAndStaysOnTheSignInPage()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await Expect(page).ToHaveURLAsync(SignInUrl);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);

        // Another citizen than the other tests use, so this failed attempt cannot count towards their lockout.
        await page.GetByLabel("Username").FillAsync("demo.director");
        await page.GetByLabel("Password").FillAsync("Not-The-Passw0rd!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).Not.ToBeEmptyAsync();
        await Expect(page).ToHaveURLAsync(SignInUrl);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        var username = page.GetByLabel("Username");
        await Expect(username).ToBeEditableAsync();
        await username.FocusAsync();
        await Expect(username).ToBeFocusedAsync();
    }

    [Theory]
    [InlineData("vi", "vi-VN")]
    [InlineData("en", "en-US")]
    public async Task SignInPage_InEachLanguage_HasNoWcagViolations(string language, string locale)
    {
        await using var context = await servers.NewContextAsync(locale);
        var page = await context.NewPageAsync();
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=" + language);
        await Expect(page).ToHaveURLAsync(SignInUrl);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        await SaveScreenshotAsync(page, $"registry-signin-{language}.png");

        await Accessibility.AssertNoWcagViolationsAsync(page, $"The hub's sign-in page ({language})");
    }

    [Theory]
    [InlineData("vi", "vi-VN")]
    [InlineData("en", "en-US")]
    public async Task ErrorPage_ForAnUntrustedRedirectUri_HasNoWcagViolations(string language, string locale)
    {
        await using var context = await servers.NewContextAsync(locale);
        var page = await context.NewPageAsync();
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)))));
        await page.GotoAsync(servers.HubUrl + "/connect/authorize?client_id=" + LiveServers.ClientId
            + "&redirect_uri=" + Uri.EscapeDataString("https://evil.example/")
            + "&response_type=code&scope=openid&state=s&nonce=n&code_challenge=" + challenge
            + "&code_challenge_method=S256&culture=" + language);

        // The hub must not send the person to an unregistered address: it shows its own error page.
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/")));
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        await SaveScreenshotAsync(page, $"hub-error-{language}.png");

        await Accessibility.AssertNoWcagViolationsAsync(page, $"The hub's error page ({language})");
    }

    [Fact]
    public async Task ProfilePage_AfterLogin_HasNoWcagViolations()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await page.GetByLabel("Username").FillAsync(Citizen);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await servers.ArriveAtProfileAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Who logged in", Level = 1 })).ToBeVisibleAsync();

        await Accessibility.AssertNoWcagViolationsAsync(page, "The sample service's profile page");
    }

    [Fact]
    public async Task Chooser_BackToTheServiceWithTheKeyboard_EndsTheLoginAtTheService()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        var journey = await StartLoginAsync(page);

        // The chooser of this journey (a service with a single source skips it; the person may still go there).
        await page.GotoAsync($"{servers.HubUrl}/login/{journey}");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Cơ sở dữ liệu quốc gia về dân cư" })).ToBeVisibleAsync();
        await SaveScreenshotAsync(page, "hub-chooser-en.png");
        await Accessibility.AssertNoWcagViolationsAsync(page, "The hub's chooser");

        var back = page.GetByRole(AriaRole.Button, new() { Name = "Back to the service" });
        for (var i = 0; i < 10 && !await IsFocusedAsync(back); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        await Expect(back).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.ServiceUrl + "/error")));
        await Expect(page.GetByText("access_denied")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ErrorPage_OfALoginThatCanGoOn_OffersAnotherSourceAndTheServiceAndHasNoWcagViolations()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        var journey = await StartLoginAsync(page);

        // As a source that does not answer leaves it: the journey stays open.
        await page.GotoAsync($"{servers.HubUrl}/error/source_unavailable?journey={journey}");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Expect(page.Locator("#error-code")).ToHaveTextAsync("source_unavailable");
        await Expect(page.Locator("#trace-id")).Not.ToBeEmptyAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Choose another identity source" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Back to the service" })).ToBeVisibleAsync();
        await SaveScreenshotAsync(page, "hub-error-open-journey-en.png");
        await Accessibility.AssertNoWcagViolationsAsync(page, "The hub's error page of an open login");

        await page.GetByRole(AriaRole.Button, new() { Name = "Back to the service" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.ServiceUrl + "/error")));
    }

    [Fact]
    public async Task AccessibilityCheck_OnAPageWithKnownViolations_FailsNamingTheRuleAndElement()
    {
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await page.SetContentAsync("<!DOCTYPE html><html lang=\"en\"><head><title>Broken</title></head><body><main><img src=\"data:,\" id=\"no-alt\"></main></body></html>");

        var failure = await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => Accessibility.AssertNoWcagViolationsAsync(page, "A broken page"));

        Assert.Contains("image-alt [critical]", failure.Message, StringComparison.Ordinal);
        Assert.Contains("#no-alt", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>The value cell of the claims table row whose type is <paramref name="type"/>.</summary>
    private static ILocator ClaimValue(IPage page, string type) =>
        page.GetByRole(AriaRole.Table)
            .GetByRole(AriaRole.Row)
            .Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = type, Exact = true }) })
            .GetByRole(AriaRole.Cell)
            .Nth(1);

    /// <summary>The definition that follows <paramref name="term"/> in the profile's summary.</summary>
    private static ILocator Summary(IPage page, string term) =>
        page.Locator("dl.highlights dt").Filter(new() { HasTextRegex = new Regex("^" + Regex.Escape(term) + "$") }).Locator("xpath=following-sibling::dd[1]");

    /// <summary>Starts a login at the sample service; returns the hub's journey, whose registry sign-in page is open.</summary>
    private async Task<string> StartLoginAsync(IPage page)
    {
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await Expect(page).ToHaveURLAsync(SignInUrl);
        return System.Web.HttpUtility.ParseQueryString(new Uri(page.Url).Query)["journey"]
            ?? throw new InvalidOperationException($"{page.Url} names no journey.");
    }

    private static async Task<bool> IsFocusedAsync(ILocator locator) =>
        await locator.EvaluateAsync<bool>("element => element === document.activeElement");

    /// <summary>For people to look at; not asserted.</summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(LiveServers.ScreenshotFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(LiveServers.ScreenshotFolder, name), FullPage = true });
    }
}
