using System.Net;
using IdentityHub.Data;
using IdentityHub.Registry;
using IdentityHub.Subjects;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Registry;

public sealed class PasswordSignInTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task SignIn_WithWrongPasswordOrUnknownUser_ShowsTheSameMessage()
    {
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var wrongPassword = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.director", ["Input.Password"] = "wrong-password" });
        var unknownUser = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "nobody.at.all", ["Input.Password"] = "wrong-password" });

        Assert.Equal(HttpStatusCode.OK, wrongPassword.Status);
        Assert.Contains("The username or password is incorrect.", wrongPassword.Html, StringComparison.Ordinal);
        Assert.Equal(wrongPassword.Alert(), unknownUser.Alert());
    }

    [Fact]
    public async Task SignIn_AfterFiveWrongPasswords_IsLockedEvenWithTheRightPassword()
    {
        using var browser = hub.CreateBrowser();
        var username = await CreateAccountAsync();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        Browser.Page last = signIn;
        for (var i = 0; i < 5; i++)
        {
            last = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "wrong-" + i });
        }
        Assert.Contains("locked", last.Alert(), StringComparison.OrdinalIgnoreCase);

        var right = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" });
        Assert.Equal(HttpStatusCode.OK, right.Status);
        Assert.Contains("locked", right.Alert(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_WithEmptyFields_NamesEachMissingField()
    {
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var page = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "", ["Input.Password"] = "" });
        Assert.Contains("Enter your username.", page.Html, StringComparison.Ordinal);
        Assert.Contains("Enter your password.", page.Html, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WithoutAntiforgeryToken_IsRefused()
    {
        using var browser = hub.CreateBrowser();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var journey = signIn.HiddenFields()["Journey"];
        using var response = await browser.Client.PostAsync(signIn.Url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Journey"] = journey,
            ["Input.Username"] = "demo.citizen",
            ["Input.Password"] = "Demo-Passw0rd!",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SignIn_WithAJourneyFromAnotherBrowser_IsRefused()
    {
        using var victim = hub.CreateBrowser();
        using var attacker = hub.CreateBrowser();
        var signIn = await victim.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        var stolen = await attacker.GetAsync(signIn.Url);
        Assert.True(stolen.IsRedirect);
        Assert.StartsWith("/error/journey_expired", stolen.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WithTheUsernameTwice_IsABadRequestThatCountsTowardsNothing()
    {
        using var browser = hub.CreateBrowser();
        var username = await CreateAccountAsync();
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        for (var i = 0; i < 6; i++)
        {
            var fields = signIn.HiddenFields().Select(f => new KeyValuePair<string, string>(f.Key, f.Value)).ToList();
            fields.AddRange([new("Input.Username", username), new("Input.Username", "other.person"), new("Input.Password", "wrong-" + i)]);
            using var response = await browser.Client.PostAsync(signIn.Url, new FormUrlEncodedContent(fields));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        var right = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" });
        Assert.True(right.IsRedirect, "Six refused forms must not have locked the account.");
    }

    [Fact]
    public async Task SignIn_Pages_AreTranslated()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var vietnamese = await browser.NavigateAsync(client.AuthorizeUrl(omit: "ui_locales"));
        Assert.Contains("<html lang=\"vi\"", vietnamese.Html, StringComparison.Ordinal);
        Assert.Contains("Mật khẩu", vietnamese.Html, StringComparison.Ordinal);
        var french = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: new() { ["ui_locales"] = "fr-FR en" }));
        Assert.Contains("<html lang=\"fr\"", french.Html, StringComparison.Ordinal);
        Assert.Contains("Mot de passe", french.Html, StringComparison.Ordinal);
    }

    private Task<string> CreateAccountAsync() => RegistryPeople.InsertAsync(hub, "lockout");
}
