using System.Net;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace IdentityHub.Tests.Registry;

/// <summary>
/// /account/security: a person signs in as anywhere else, sets up an authenticator app, renews recovery codes and
/// removes the app; once the account has a second factor, the page asks for eidas2 first.
/// </summary>
public sealed class SecurityPageTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private HubFactory _hub = null!;

    public async Task InitializeAsync() => _hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, time: _time);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task SecurityPage_SignsInSetsUpAnAppThenAsksForTheCodeRenewsCodesAndRemovesTheApp()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        using var browser = _hub.CreateBrowser();
        browser.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");

        // Not signed in: the registry's sign-in, then back to the page.
        var signIn = await browser.NavigateAsync("/account/security");
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var security = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = person.Username, ["Input.Password"] = RegistryPeople.Password });
        Assert.Equal("/account/security", security.Url);
        Assert.Contains("No authenticator app is set up.", security.Html, StringComparison.Ordinal);

        var enrolment = await browser.NavigateAsync("/registry/enrol");
        Assert.Equal("/registry/enrol", enrolment.Url);
        var secret = RegistryPeople.SetupKey(enrolment.Html);
        var codes = await browser.SubmitAsync(enrolment, new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow()) });
        Assert.Equal(10, RegistryPeople.RecoveryCodes(codes.Html).Count);
        // The session was reached with a password alone; the account now has a second factor, so the page wants it.
        var stepUp = await browser.SubmitAsync(codes, []);
        Assert.StartsWith("/registry/signin", stepUp.Url, StringComparison.Ordinal);
        var second = await browser.SubmitAsync(stepUp, new() { ["Input.Username"] = person.Username, ["Input.Password"] = RegistryPeople.Password });
        Assert.StartsWith("/registry/second-factor", second.Url, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromMinutes(1));
        security = await browser.SubmitAsync(second, new() { ["Code"] = RegistryPeople.Code(secret, _time.GetUtcNow()) });
        Assert.Equal("/account/security", security.Url);
        Assert.Contains("Recovery codes left: 10.", security.Html, StringComparison.Ordinal);

        var renewed = await browser.SubmitAsync(security with { Html = FormOf(security.Html, "RecoveryCodes") }, []);
        Assert.Equal(10, RegistryPeople.RecoveryCodes(renewed.Html).Count);

        var removed = await browser.SubmitAsync(security with { Html = FormOf(security.Html, "RemoveAuthenticator") }, []);
        Assert.Contains("The authenticator app and its recovery codes were removed.", removed.Html, StringComparison.Ordinal);
        Assert.Contains("No authenticator app is set up.", removed.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecurityPage_FormWithoutAntiforgeryToken_IsRefused()
    {
        var person = await RegistryPeople.CreateAsync(_hub);
        using var browser = _hub.CreateBrowser();
        var signIn = await browser.NavigateAsync("/account/security");
        await browser.SubmitAsync(signIn, new() { ["Input.Username"] = person.Username, ["Input.Password"] = RegistryPeople.Password });
        using var forged = await browser.Client.PostAsync("/account/security?handler=RemoveAuthenticator", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
    }

    /// <summary>The page reduced to the form whose handler is <paramref name="handler"/>, for <see cref="Browser.SubmitAsync"/>.</summary>
    private static string FormOf(string html, string handler)
    {
        var marker = $"handler={handler}\"";
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"The page has no {handler} form.");
        var start = html.LastIndexOf("<form", at, StringComparison.Ordinal);
        return html[start..(html.IndexOf("</form>", at, StringComparison.Ordinal) + 7)];
    }
}
