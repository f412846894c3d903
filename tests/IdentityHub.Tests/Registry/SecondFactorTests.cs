using System.Net;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Registry;

/// <summary>
/// The registry reaches eidas2: a password and an authenticator code (or a recovery code), with the enrolment of an
/// app after the password for a person who has none; codes within one step either side, each accepted once.
/// </summary>
public sealed class SecondFactorTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Eidas2 = new() { ["acr_values"] = "eidas2" };

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private HubFactory _hub = null!;

    public async Task InitializeAsync() => _hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, time: _time);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Eidas2Login_OfAPersonWithoutSecondFactor_EnrolsAnAppAndReachesEidas2WithPwdOtpMfa()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        using var browser = _hub.CreateBrowser();
        var client = OidcClient.Demo();

        var enrolment = await RegistryPeople.Eidas2SignInAsync(browser, person.Username, client);
        Assert.StartsWith("/registry/enrol?journey=", enrolment.Url, StringComparison.Ordinal);
        Assert.Contains("Setup key", enrolment.Html, StringComparison.Ordinal);
        Assert.Contains("<img class=\"qr-code\" src=\"data:image/png;base64,", enrolment.Html, StringComparison.Ordinal);
        var secret = RegistryPeople.SetupKey(enrolment.Html);
        // Reloading the page shows the same secret: the app the person is setting up stays right.
        Assert.Equal(secret, RegistryPeople.SetupKey((await browser.GetAsync(enrolment.Url)).Html));

        var wrong = await browser.SubmitAsync(enrolment, new() { ["Code"] = WrongCode(secret) });
        Assert.Contains("role=\"alert\"", wrong.Html, StringComparison.Ordinal);

        var codes = await browser.SubmitAsync(enrolment, new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow()) });
        Assert.Equal(HttpStatusCode.OK, codes.Status);
        var recovery = RegistryPeople.RecoveryCodes(codes.Html);
        Assert.Equal(10, recovery.Count);
        Assert.Equal(10, recovery.Distinct().Count());

        var back = await browser.SubmitAsync(codes, []);
        var tokens = await client.RedeemAsync(_hub.CreateApiClient(), client.CallbackParameters(back)["code"]);
        Assert.Equal("eidas2", tokens.IdTokenJwt.GetClaim("acr").Value);
        Assert.Equal(["pwd", "otp", "mfa"], tokens.IdTokenJwt.Claims.Where(c => c.Type == "amr").Select(c => c.Value));

        // The recovery codes were shown once: the enrolment page has nothing more to give.
        var again = await browser.GetAsync(enrolment.Url);
        Assert.DoesNotContain(recovery[0], again.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondFactor_AcceptsCodesOneStepEitherSide_NotTwo()
    {
        var (person, secret) = await EnrolledPersonAsync();
        var step = TimeSpan.FromSeconds(30);
        foreach (var (offset, accepted) in new[] { (-2, false), (2, false), (-1, true), (1, true) })
        {
            _time.Advance(step * 3);
            using var browser = _hub.CreateBrowser();
            var client = OidcClient.Demo();
            var page = await RegistryPeople.Eidas2SignInAsync(browser, person.Username, client);
            Assert.StartsWith("/registry/second-factor?journey=", page.Url, StringComparison.Ordinal);
            var result = await browser.SubmitAsync(page, new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow() + (step * offset)) });
            Assert.True(accepted == result.IsRedirect, $"A code {offset} step(s) away: {(accepted ? "refused" : "accepted")}.");
        }
    }

    [Fact]
    public async Task SecondFactor_TheSameCodeTwice_IsRefusedTheSecondTime()
    {
        var (person, secret) = await EnrolledPersonAsync();
        _time.Advance(TimeSpan.FromMinutes(2));
        var code = RegistryPeople.Code(secret, _time.GetUtcNow());

        using var first = _hub.CreateBrowser();
        var accepted = await first.SubmitAsync(await RegistryPeople.Eidas2SignInAsync(first, person.Username), new() { ["Code"] = code });
        Assert.True(accepted.IsRedirect);

        using var second = _hub.CreateBrowser();
        var replayed = await second.SubmitAsync(await RegistryPeople.Eidas2SignInAsync(second, person.Username), new() { ["Code"] = code });
        Assert.Equal(HttpStatusCode.OK, replayed.Status);
        Assert.Contains("already used", replayed.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecoveryCode_WorksOnceAndReachesEidas2()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        var (secret, recovery) = await RegistryPeople.EnrolAsync(_hub, person.Username, _time);
        _ = secret;
        foreach (var expectAccepted in new[] { true, false })
        {
            using var browser = _hub.CreateBrowser();
            var client = OidcClient.Demo();
            var page = await RegistryPeople.Eidas2SignInAsync(browser, person.Username, client);
            Assert.Contains("Use a recovery code", page.Html, StringComparison.Ordinal);
            var form = await browser.GetAsync(page.Url + "&method=recovery");
            Assert.Contains("Recovery code", form.Html, StringComparison.Ordinal);
            var result = await browser.SubmitAsync(form, new() { ["Code"] = recovery[3].ToLowerInvariant() });
            if (expectAccepted)
            {
                var tokens = await client.RedeemAsync(_hub.CreateApiClient(), client.CallbackParameters(result)["code"]);
                Assert.Equal("eidas2", tokens.IdTokenJwt.GetClaim("acr").Value);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, result.Status);
                Assert.Contains("The recovery code is wrong or was already used.", result.Html, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task PasswordAlone_ForAPersonWithAnApp_StaysAtEidas1WithPwd()
    {
        var (person, _) = await EnrolledPersonAsync();
        using var browser = _hub.CreateBrowser();
        var client = OidcClient.Demo();
        var callback = await client.LoginAsync(browser, person.Username, RegistryPeople.Password);
        var tokens = await client.RedeemAsync(_hub.CreateApiClient(), callback["code"]);
        Assert.Equal("eidas1", tokens.IdTokenJwt.GetClaim("acr").Value);
        Assert.Equal(["pwd"], tokens.IdTokenJwt.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
    }

    [Fact]
    public async Task PromptLoginAndMaxAge_AskForThePasswordAndTheCodeAgain()
    {
        var (person, secret) = await EnrolledPersonAsync();
        using var browser = _hub.CreateBrowser();
        _time.Advance(TimeSpan.FromMinutes(1));
        var first = await browser.SubmitAsync(await RegistryPeople.Eidas2SignInAsync(browser, person.Username), new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow()) });
        Assert.True(first.IsRedirect);

        // The session is at eidas2: another request is answered silently...
        var silent = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: Eidas2));
        Assert.StartsWith(OidcClient.DemoRedirect, silent.Location, StringComparison.Ordinal);

        // ...but prompt=login and a passed max_age each ask for the password, then the code.
        _time.Advance(TimeSpan.FromMinutes(1));
        foreach (var extra in new Dictionary<string, string?>[] { new() { ["prompt"] = "login" }, new() { ["max_age"] = "30" } })
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            foreach (var (name, value) in Eidas2)
            {
                extra[name] = value;
            }
            var client = OidcClient.Demo();
            var signIn = await browser.NavigateAsync(client.AuthorizeUrl(extra: extra));
            Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
            var second = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = person.Username, ["Input.Password"] = RegistryPeople.Password });
            Assert.StartsWith("/registry/second-factor", second.Url, StringComparison.Ordinal);
            var back = await browser.SubmitAsync(second, new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow()) });
            var tokens = await client.RedeemAsync(_hub.CreateApiClient(), client.CallbackParameters(back)["code"]);
            Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), long.Parse(tokens.IdTokenJwt.GetClaim("auth_time").Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task SecondFactorPage_WithoutAPasswordFirst_SendsBackToTheSignInPage()
    {
        using var browser = _hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: Eidas2));
        var journey = signIn.HiddenFields()["Journey"];
        var skipped = await browser.GetAsync("/registry/second-factor?journey=" + Uri.EscapeDataString(journey));
        Assert.True(skipped.IsRedirect);
        Assert.StartsWith("/registry/signin", skipped.Location, StringComparison.Ordinal);
        var enrol = await browser.GetAsync("/registry/enrol?journey=" + Uri.EscapeDataString(journey));
        Assert.StartsWith("/registry/signin", enrol.Location, StringComparison.Ordinal);
    }

    /// <summary>A code that is none of the three the window accepts now.</summary>
    private string WrongCode(string secret)
    {
        var now = _time.GetUtcNow();
        var valid = new[] { -30, 0, 30 }.Select(s => RegistryPeople.Code(secret, now.AddSeconds(s))).ToHashSet();
        return Enumerable.Range(0, 10).Select(d => new string((char)('0' + d), 6)).First(c => !valid.Contains(c));
    }

    private async Task<(RegistryPeople.Created Person, string Secret)> EnrolledPersonAsync()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        var (secret, _) = await RegistryPeople.EnrolAsync(_hub, person.Username, _time);
        return (person, secret);
    }
}
