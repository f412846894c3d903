using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The sample service asking for <c>eidas2</c> (its <c>/login?level=eidas2</c>): a registry person without a second factor sets up an authenticator app on the
/// enrolment page after the password, then logs in with a code, or with a recovery code; the same by keyboard alone;
/// and axe on every page of it in Vietnamese, English and French. Each test makes its own registry person through the
/// admin API: no other test's account gets a second factor, and no two tests spend the same account's codes.
/// </summary>
public sealed class SecondFactorJourneyTests(LiveServers servers) : IClassFixture<LiveServers>
{
    private static readonly string[] CodeAmr = ["mfa", "otp", "pwd"];

    private Regex SignInUrl => HubPage("/registry/signin");
    private Regex EnrolUrl => HubPage("/registry/enrol");
    private Regex SecondFactorUrl => HubPage("/registry/second-factor");

    [Fact]
    public async Task NewPerson_AtAServiceAskingEidas2_EnrolsAnAuthenticatorApp_ThenLogsInWithACodeAndWithARecoveryCode()
    {
        var person = await servers.CreateRegistryPersonAsync();
        AuthenticatorApp app;
        IReadOnlyList<string> recoveryCodes;

        await using (var context = await servers.NewContextAsync("en-US"))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(servers.ServiceUrl + "/");
            await page.GetByRole(AriaRole.Link, new() { Name = "Log in at the substantial level (eidas2)" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(SignInUrl);
            await SignInAsync(page, person, "en");

            // The password was right, and the service needs more: the enrolment, before anything reaches the service.
            await Expect(page).ToHaveURLAsync(EnrolUrl);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Set up an authenticator app", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code to set up your authenticator app" })).ToBeVisibleAsync();
            var setupKey = await page.GetByLabel("Setup key").InputValueAsync();
            Assert.Matches("^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$", setupKey);
            app = new AuthenticatorApp(setupKey);

            await page.GetByLabel("Authentication code").FillAsync(await app.NextCodeAsync());
            await page.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Recovery codes", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your authenticator app is active.");
            recoveryCodes = await RecoveryCodesAsync(page, "en");
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

            await ExpectEidas2ProfileAsync(page);
        }

        // A second login, in another browser: the app's code now, not the enrolment.
        await using (var context = await servers.NewContextAsync("en-US"))
        {
            var page = await context.NewPageAsync();
            await StartEidas2LoginAsync(page, "en");
            await SignInAsync(page, person, "en");
            await Expect(page).ToHaveURLAsync(SecondFactorUrl);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Second step of verification", Level = 1 })).ToBeVisibleAsync();
            await page.GetByLabel("Authentication code").FillAsync(await app.NextCodeAsync());
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync();

            await ExpectEidas2ProfileAsync(page);
        }

        // The phone is lost: one of the recovery codes written down at enrolment.
        await using (var context = await servers.NewContextAsync("en-US"))
        {
            var page = await context.NewPageAsync();
            await StartEidas2LoginAsync(page, "en");
            await SignInAsync(page, person, "en");
            await Expect(page).ToHaveURLAsync(SecondFactorUrl);
            await page.GetByRole(AriaRole.Link, new() { Name = "Use a recovery code" }).ClickAsync();
            await page.GetByLabel("Recovery code").FillAsync(recoveryCodes[3]);
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync();

            await ExpectEidas2ProfileAsync(page);
        }
    }

    [Fact]
    public async Task NewPerson_UsingTheKeyboardAlone_EnrolsThenCompletesTheSecondFactorPage()
    {
        var person = await servers.CreateRegistryPersonAsync();
        AuthenticatorApp app;

        await using (var context = await servers.NewContextAsync("en-US"))
        {
            var page = await context.NewPageAsync();
            await StartEidas2LoginAsync(page, "en");
            await SignInAsync(page, person, "en");
            await Expect(page).ToHaveURLAsync(EnrolUrl);

            // The setup key is read where the keyboard reaches it (a person copies it from there into the app).
            var setupKey = page.GetByLabel("Setup key");
            await LiveServers.TabToAsync(page, setupKey, 15);
            app = new AuthenticatorApp(await setupKey.InputValueAsync());
            await page.Keyboard.PressAsync("Tab");
            await Expect(page.GetByLabel("Authentication code")).ToBeFocusedAsync();
            await page.Keyboard.TypeAsync(await app.NextCodeAsync());
            await page.Keyboard.PressAsync("Tab");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Activate" })).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("Enter");

            var continueButton = page.GetByRole(AriaRole.Button, new() { Name = "Continue" });
            await Expect(continueButton).ToBeVisibleAsync();
            await LiveServers.TabToAsync(page, continueButton, 15);
            await page.Keyboard.PressAsync("Enter");
            await ExpectEidas2ProfileAsync(page);
        }

        await using (var context = await servers.NewContextAsync("en-US"))
        {
            var page = await context.NewPageAsync();
            await StartEidas2LoginAsync(page, "en");
            await SignInAsync(page, person, "en");
            await Expect(page).ToHaveURLAsync(SecondFactorUrl);

            // Skip link and language links first, then the code, Verify, and the recovery-code link.
            var code = page.GetByLabel("Authentication code");
            await LiveServers.TabToAsync(page, code, 15);
            await page.Keyboard.TypeAsync(await app.NextCodeAsync());
            await page.Keyboard.PressAsync("Tab");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true })).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("Enter");

            await ExpectEidas2ProfileAsync(page);
        }
    }

    [Theory]
    [InlineData("vi", "vi-VN")]
    [InlineData("en", "en-US")]
    [InlineData("fr", "fr-FR")]
    public async Task EnrolmentRecoveryCodesSecurityAndSecondFactorPages_InEachLanguage_HaveNoWcagViolations(string language, string locale)
    {
        var person = await servers.CreateRegistryPersonAsync();
        string Text(string key) => HubText.Of(language, key);
        AuthenticatorApp app;
        IReadOnlyList<string> recoveryCodes;

        await using (var context = await servers.NewContextAsync(locale))
        {
            var page = await context.NewPageAsync();
            await StartEidas2LoginAsync(page, language);
            await SignInAsync(page, person, language);

            await Expect(page).ToHaveURLAsync(EnrolUrl);
            await ExpectLanguageAsync(page, language, "Enrol.Title");
            await Screenshots.SaveAsync(page, $"registry-enrol-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The enrolment page ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The enrolment page ({language})");

            // A wrong code first: the page again, with its alert.
            app = new AuthenticatorApp(await page.GetByLabel(Text("Enrol.SetupKey")).InputValueAsync());
            await page.GetByLabel(Text("SecondFactor.Code")).FillAsync(app.WrongCode());
            await page.GetByRole(AriaRole.Button, new() { Name = Text("Enrol.Activate") }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(Text("Enrol.InvalidCode"));
            await Expect(page.GetByLabel(Text("SecondFactor.Code"))).ToHaveAccessibleDescriptionAsync(Text("Enrol.InvalidCode"));
            await Screenshots.SaveAsync(page, $"registry-enrol-wrong-code-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The enrolment page after a wrong code ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The enrolment page after a wrong code ({language})");

            await page.GetByLabel(Text("SecondFactor.Code")).FillAsync(await app.NextCodeAsync());
            await page.GetByRole(AriaRole.Button, new() { Name = Text("Enrol.Activate") }).ClickAsync();
            await ExpectLanguageAsync(page, language, "Enrol.CodesTitle");
            recoveryCodes = await RecoveryCodesAsync(page, language);
            await Screenshots.SaveAsync(page, $"registry-recovery-codes-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The recovery codes ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The recovery codes ({language})");
            await page.GetByRole(AriaRole.Button, new() { Name = Text("Enrol.Continue") }).ClickAsync();
            await ExpectEidas2ProfileAsync(page);

            // The hub session of that login (eidas2) opens the person's security page.
            await page.GotoAsync(servers.HubUrl + "/account/security");
            await ExpectLanguageAsync(page, language, "Security.Title");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = Text("Security.Authenticator"), Level = 2 })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = Text("Security.RemoveAuthenticator") })).ToBeVisibleAsync();
            await Screenshots.SaveAsync(page, $"account-security-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The security page ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The security page ({language})");
        }

        await using (var context = await servers.NewContextAsync(locale))
        {
            var page = await context.NewPageAsync();
            await StartEidas2LoginAsync(page, language);
            await SignInAsync(page, person, language);

            await Expect(page).ToHaveURLAsync(SecondFactorUrl);
            await ExpectLanguageAsync(page, language, "SecondFactor.Title");
            await Expect(page.GetByLabel(Text("SecondFactor.Code"))).ToBeVisibleAsync();
            await Screenshots.SaveAsync(page, $"registry-second-factor-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The second-factor page ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The second-factor page ({language})");

            await page.GetByLabel(Text("SecondFactor.Code")).FillAsync(app.WrongCode());
            await page.GetByRole(AriaRole.Button, new() { Name = Text("SecondFactor.Verify"), Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(Text("SecondFactor.InvalidCode"));
            await Expect(page.GetByLabel(Text("SecondFactor.Code"))).ToHaveAccessibleDescriptionAsync(Text("SecondFactor.InvalidCode"));
            await Screenshots.SaveAsync(page, $"registry-second-factor-wrong-code-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The second-factor page after a wrong code ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The second-factor page after a wrong code ({language})");

            await page.GetByRole(AriaRole.Link, new() { Name = Text("SecondFactor.UseRecovery") }).ClickAsync();
            await ExpectLanguageAsync(page, language, "SecondFactor.Title");
            await Expect(page.GetByLabel(Text("SecondFactor.RecoveryCode"))).ToBeVisibleAsync();
            await Screenshots.SaveAsync(page, $"registry-recovery-code-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The recovery-code form ({language})");
            await Accessibility.AssertReflowsAt320PixelsAsync(page, $"The recovery-code form ({language})");

            var wrongRecoveryCode = new[] { "AAAAA-AAAAA", "BBBBB-BBBBB" }.First(code => !recoveryCodes.Contains(code));
            await page.GetByLabel(Text("SecondFactor.RecoveryCode")).FillAsync(wrongRecoveryCode);
            await page.GetByRole(AriaRole.Button, new() { Name = Text("SecondFactor.Verify"), Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(Text("SecondFactor.InvalidRecoveryCode"));
            await Expect(page.GetByLabel(Text("SecondFactor.RecoveryCode"))).ToHaveAccessibleDescriptionAsync(Text("SecondFactor.InvalidRecoveryCode"));
            await Screenshots.SaveAsync(page, $"registry-recovery-code-wrong-{language}.png");
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The recovery-code form after a wrong code ({language})");
        }
    }

    private Regex HubPage(string path) => new("^" + Regex.Escape(servers.HubUrl + path) + @"(\?|$)");

    /// <summary>The service's login at <c>eidas2</c>, the hub's pages in <paramref name="language"/>; stops on the registry's sign-in page.</summary>
    private async Task StartEidas2LoginAsync(IPage page, string language)
    {
        await page.GotoAsync(servers.ServiceUrl + "/login?level=eidas2&lang=" + language);
        await Expect(page).ToHaveURLAsync(SignInUrl);
    }

    private static async Task SignInAsync(IPage page, RegistryPerson person, string language)
    {
        await page.GetByLabel(HubText.Of(language, "Username")).FillAsync(person.Username);
        await page.GetByLabel(HubText.Of(language, "Password")).FillAsync(person.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = HubText.Of(language, "SignIn.Button"), Exact = true }).ClickAsync();
    }

    private static async Task ExpectLanguageAsync(IPage page, string language, string headingKey)
    {
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HubText.Of(language, headingKey), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
    }

    /// <summary>The ten recovery codes of the list named after them, as shown (five characters, a dash, five more).</summary>
    private static async Task<IReadOnlyList<string>> RecoveryCodesAsync(IPage page, string language)
    {
        var items = page.GetByRole(AriaRole.List, new() { Name = HubText.Of(language, "Enrol.CodesTitle") }).GetByRole(AriaRole.Listitem);
        await Expect(items).ToHaveCountAsync(10);
        var codes = (await items.AllInnerTextsAsync()).Select(code => code.Trim()).ToList();
        Assert.All(codes, code => Assert.Matches("^[A-Z0-9]{5}-[A-Z0-9]{5}$", code));
        Assert.Equal(10, codes.Distinct(StringComparer.Ordinal).Count());
        return codes;
    }

    /// <summary>The service's profile: the level asked was reached with a password and a code, as the service received it.</summary>
    private async Task ExpectEidas2ProfileAsync(IPage page)
    {
        await servers.ArriveAtProfileAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Who logged in", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("dl.highlights dt").Filter(new() { HasTextRegex = new Regex("^Level of assurance$") })
            .Locator("xpath=following-sibling::dd[1]")).ToHaveTextAsync("eidas2");
        await Expect(ClaimValues(page, "acr")).ToHaveTextAsync(["eidas2"]);
        await Expect(ClaimValues(page, "idp_id")).ToHaveTextAsync(["registry"]);
        var amr = await ClaimValues(page, "amr").AllInnerTextsAsync();
        Assert.Equal(CodeAmr, amr.Select(value => value.Trim()).Order(StringComparer.Ordinal));
    }

    /// <summary>The value cells of the claims table's rows whose type is <paramref name="type"/> (amr has one row per value).</summary>
    private static ILocator ClaimValues(IPage page, string type) =>
        page.GetByRole(AriaRole.Table)
            .GetByRole(AriaRole.Row)
            .Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = type, Exact = true }) })
            .Locator("td:nth-child(2)");
}
