using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The acting-for page in a real browser: the sample service's "Log in for my company" asks for the <c>enterprise</c>
/// scope, and a legal representative chooses the company with the keyboard alone, in the person's language, on a page
/// that passes axe; the consent page and the service then name the company.
/// </summary>
public sealed class ActingForJourneyTests(LiveServers servers) : IClassFixture<LiveServers>
{
    [Theory]
    [InlineData("vi", "vi-VN")]
    [InlineData("en", "en-US")]
    [InlineData("fr", "fr-FR")]
    public async Task ARepresentative_ChoosesTheCompanyWithTheKeyboard_AndTheServiceIsToldSo(string language, string locale)
    {
        var person = await servers.CreateRegistryPersonAsync();
        var company = "Công ty TNHH Bến Thành " + person.IdentityNumber[^4..];
        var taxCode = await servers.CreateEnterpriseAsync(company, person);
        await using var context = await servers.NewContextAsync(locale);
        var page = await context.NewPageAsync();
        await SignInForTheCompanyAsync(page, person, language);

        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/acting-for/")));
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HubText.Of(language, "ActingFor.Title"), Level = 1 })).ToBeVisibleAsync();
        var group = page.GetByRole(AriaRole.Group, new() { Name = HubText.Of(language, "ActingFor.Legend") });
        var individual = group.GetByRole(AriaRole.Radio, new() { Name = HubText.Of(language, "ActingFor.Individual"), Exact = true });
        var forCompany = group.GetByRole(AriaRole.Radio, new() { Name = company, Exact = true });
        await Expect(individual).ToBeCheckedAsync();
        await Expect(forCompany).Not.ToBeCheckedAsync();
        // The tax code and the mandate are read out with the company's radio.
        var details = HubText.Of(language, "ActingFor.DetailsWithRole").Replace("{0}", taxCode, StringComparison.Ordinal).Replace("{1}", "legal_representative", StringComparison.Ordinal);
        await Expect(forCompany).ToHaveAccessibleDescriptionAsync(details);
        await Accessibility.AssertNoWcagViolationsAsync(page, $"The acting-for page ({language})");

        // Keyboard alone: Tab into the group (the checked radio), an arrow to the company, Tab to Continue, Enter.
        await LiveServers.TabToAsync(page, individual);
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(forCompany).ToBeCheckedAsync();
        await LiveServers.TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = HubText.Of(language, "ActingFor.Continue"), Exact = true }));
        await page.Keyboard.PressAsync("Enter");

        // The sample service asks for consent (explicit): the page names the company the person acts for.
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/consent/")));
        await Expect(page.GetByText(HubText.Of(language, "Consent.ActingFor").Replace("{0}", company, StringComparison.Ordinal))).ToBeVisibleAsync();
        await Accessibility.AssertNoWcagViolationsAsync(page, $"The consent page acting for a company ({language})");
        await servers.ArriveAtProfileAsync(page, keyboard: true);
        await Expect(page.GetByText($"{company} (tax code {taxCode}, legal_representative; vouched for by registry)")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task APersonWhoRepresentsNone_IsToldSo_AndGoesOnAsAnIndividual()
    {
        var person = await servers.CreateRegistryPersonAsync();
        await using var context = await servers.NewContextAsync("en-US");
        var page = await context.NewPageAsync();
        await SignInForTheCompanyAsync(page, person, "en");

        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/acting-for/")));
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(HubText.Of("en", "ActingFor.None"));
        await Expect(page.GetByRole(AriaRole.Radio)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "As an individual", Exact = true })).ToBeCheckedAsync();
        await Accessibility.AssertNoWcagViolationsAsync(page, "The acting-for page of a person who represents none");

        await page.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true }).ClickAsync();
        await servers.ArriveAtProfileAsync(page);
        await Expect(page.GetByText("yourself, as an individual")).ToBeVisibleAsync();
    }

    private async Task SignInForTheCompanyAsync(IPage page, RegistryPerson person, string language)
    {
        await page.GotoAsync(servers.ServiceUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Log in for my company" }).ClickAsync();
        // The browser's language decides the hub's pages (the context's locale).
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await page.GetByLabel(HubText.Of(language, "Username")).FillAsync(person.Username);
        await page.GetByLabel(HubText.Of(language, "Password")).FillAsync(person.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = HubText.Of(language, "SignIn.Button"), Exact = true }).ClickAsync();
    }
}
