using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityHub.BrowserTests;

/// <summary>
/// Passkeys in a real browser, with Chromium's virtual authenticator (DevTools' WebAuthn domain) standing in for a
/// phone's: a citizen adds one on the security page, signs in with it without a username, uses it as the second
/// factor after their password, and removes it; axe checks the pages where passkeys appear.
/// </summary>
public sealed class PasskeyTests(LiveServers servers) : IClassFixture<LiveServers>
{
    private const string Citizen = "demo.citizen";
    private const string Password = "Demo-Passw0rd!";
    private const string PasskeyName = "Test phone";

    [Fact]
    public async Task DemoCitizen_AddsAPasskeySignsInWithItUsesItAfterThePasswordThenRemovesIt()
    {
        // A password login at the sample service opens a hub session (eidas1), enough to add a first second factor.
        await using var first = await servers.NewContextAsync("en-US");
        var page = await first.NewPageAsync();
        var (cdp, authenticator) = await VirtualAuthenticatorAsync(first, page);
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await page.GetByLabel("Username").FillAsync(Citizen);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await servers.ArriveAtProfileAsync(page);

        await page.GotoAsync(servers.HubUrl + "/account/security");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Passkeys" })).ToBeVisibleAsync();
        await page.GetByLabel("Name of the passkey (optional)").FillAsync(PasskeyName);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();

        // The account now has a second factor, so its page asks for eidas2: the new passkey gives it, no username typed.
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(servers.HubUrl + "/account/security");
        await Expect(page.GetByText(PasskeyName, new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Remove " + PasskeyName })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" })).ToBeVisibleAsync();
        foreach (var language in new[] { "vi", "en", "fr" })
        {
            await page.GotoAsync(servers.HubUrl + "/account/security?culture=" + language);
            await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
            await Expect(page.Locator("form[data-passkey=register]")).ToBeVisibleAsync();
            await Accessibility.AssertNoWcagViolationsAsync(page, $"The security page with a passkey ({language})");
        }
        var credentials = await cdp.SendAsync("WebAuthn.getCredentials", new() { ["authenticatorId"] = authenticator });
        var credential = Assert.Single(credentials!.Value.GetProperty("credentials").EnumerateArray());
        Assert.True(credential.GetProperty("isResidentCredential").GetBoolean());
        Assert.Equal(new Uri(servers.HubUrl).Host, credential.GetProperty("rpId").GetString());

        // Another browser profile holding the same passkey (as a phone would): a fresh login, no username, no password.
        await using var second = await servers.NewContextAsync("en-US");
        var other = await second.NewPageAsync();
        var (otherCdp, otherAuthenticator) = await VirtualAuthenticatorAsync(second, other);
        await otherCdp.SendAsync("WebAuthn.addCredential", new()
        {
            ["authenticatorId"] = otherAuthenticator,
            ["credential"] = JsonSerializer.Deserialize<Dictionary<string, object>>(credential.GetRawText())!,
        });
        await other.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await Expect(other).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await other.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" }).ClickAsync();
        await servers.ArriveAtProfileAsync(other);
        await Expect(ClaimValues(other, "acr")).ToHaveTextAsync(["eidas2"]);
        await Expect(ClaimValues(other, "amr")).ToContainTextAsync(["hwk", "mfa"]);
        await Expect(ClaimValues(other, "amr")).Not.ToContainTextAsync(["pwd"]);

        // A service asking for eidas2 with a fresh login: the password, then the passkey as the second factor.
        await other.GotoAsync(AuthorizeUrl(new() { ["acr_values"] = "eidas2", ["prompt"] = "login" }));
        await other.GetByLabel("Username").FillAsync(Citizen);
        await other.GetByLabel("Password").FillAsync(Password);
        await other.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(other).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/second-factor")));
        var verify = other.GetByRole(AriaRole.Button, new() { Name = "Verify with a passkey" });
        await Expect(verify).ToBeVisibleAsync();
        await Accessibility.AssertNoWcagViolationsAsync(other, "The second-factor page with a passkey");
        // The request was not the service's own, so its callback goes no further: the code reaching it is the point.
        var callback = servers.ServiceUrl + "/signin-oidc?code=";
        var code = other.WaitForRequestAsync(request => request.Url.StartsWith(callback, StringComparison.Ordinal));
        await verify.ClickAsync();
        Assert.StartsWith(callback, (await code).Url, StringComparison.Ordinal);
        // The service refuses a callback it did not ask for; that page must land before the next navigation starts.
        await Expect(other).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.ServiceUrl + "/error")));

        await other.GotoAsync(servers.HubUrl + "/account/security");
        await other.GetByRole(AriaRole.Button, new() { Name = "Remove " + PasskeyName }).ClickAsync();
        await Expect(other.GetByRole(AriaRole.Status).Filter(new() { HasText = "The passkey was removed." })).ToBeVisibleAsync();
        await Expect(other.GetByText("No passkey yet.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task PasskeyButtons_WithoutWebAuthnInTheBrowser_StayHidden()
    {
        await using var context = await servers.NewContextAsync("en-US");
        await context.AddInitScriptAsync("delete window.PublicKeyCredential;");
        var page = await context.NewPageAsync();
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=en");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" })).ToBeHiddenAsync();
    }

    [Fact]
    public async Task SignIn_PasskeyTheBrowserDoesNotHold_SaysSoInTheStatus()
    {
        await using var context = await servers.NewContextAsync("fr-FR");
        var page = await context.NewPageAsync();
        // An authenticator with no credential for the hub, whose person declines: the browser answers NotAllowedError.
        var (cdp, authenticator) = await VirtualAuthenticatorAsync(context, page);
        await cdp.SendAsync("WebAuthn.setUserVerified", new() { ["authenticatorId"] = authenticator, ["isUserVerified"] = false });
        await page.GotoAsync(servers.ServiceUrl + "/login?lang=fr");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter avec une clé d'accès" }).ClickAsync();

        await Expect(page.Locator("#passkey-signin-status")).ToHaveTextAsync(new Regex("annulée|expiré"));
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(servers.HubUrl + "/registry/signin")));
        await Accessibility.AssertNoWcagViolationsAsync(page, "The sign-in page after a passkey was declined (fr)");
    }

    /// <summary>A platform authenticator (CTAP2, internal transport) with resident keys and user verification that always passes.</summary>
    private static async Task<(ICDPSession Session, string AuthenticatorId)> VirtualAuthenticatorAsync(IBrowserContext context, IPage page)
    {
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable", new() { ["enableUI"] = false });
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new()
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return (cdp, added!.Value.GetProperty("authenticatorId").GetString()!);
    }

    /// <summary>An authorization request of the test's sample service, written by hand to ask what the service does not.</summary>
    private string AuthorizeUrl(Dictionary<string, string> extra)
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var query = new Dictionary<string, string>
        {
            ["client_id"] = LiveServers.ClientId,
            ["redirect_uri"] = servers.ServiceUrl + "/signin-oidc",
            ["response_type"] = "code",
            ["scope"] = "openid profile",
            ["state"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["nonce"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["code_challenge"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
            ["ui_locales"] = "en",
        };
        foreach (var (key, value) in extra)
        {
            query[key] = value;
        }
        return servers.HubUrl + "/connect/authorize?" + string.Join('&', query.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
    }

    /// <summary>The value cells of the profile's claims table rows whose type is <paramref name="type"/>.</summary>
    private static ILocator ClaimValues(IPage page, string type) =>
        page.GetByRole(AriaRole.Table)
            .GetByRole(AriaRole.Row)
            .Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = type, Exact = true }) })
            .Locator("td:nth-child(2)");
}
