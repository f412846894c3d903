using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IdentityHub.Data;
using IdentityHub.Registry;
using IdentityHub.Subjects;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Registry;

/// <summary>
/// Passkeys end to end through HTTP, as the page's script calls the hub, with a software authenticator in place of the
/// browser's: registration by a signed-in person, sign-in without a username, the second factor after a password, and
/// each way a ceremony's answer must be refused. On both databases: the ceremonies' single use rests on their SQL.
/// </summary>
public abstract partial class PasskeyTests(HubFactory hub)
{
    /// <summary>The origin of <see cref="HubFactory.Issuer"/>: its host, <c>localhost</c>, is the RP id.</summary>
    private const string Origin = "http://localhost";

    [Fact]
    public async Task Passkey_RegisteredThenUsedWithoutUsername_ReachesEidas2WithHwkAndMfa()
    {
        var (owner, _) = await SignedInAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var registered = await RegisterAsync(owner, authenticator);
        Assert.Equal(HttpStatusCode.OK, registered.Status);
        Assert.Equal("/account/security?notice=passkey-added", registered.Redirect);

        using var fresh = hub.CreateBrowser();
        var login = await StartLoginAsync(fresh);
        var signedIn = await PasskeySignInAsync(login, authenticator);
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);

        var token = await FinishLoginAsync(login, signedIn.Redirect!);
        Assert.Equal("eidas2", token.IdTokenJwt.GetClaim("acr").Value);
        Assert.Equal(["hwk", "mfa"], token.IdTokenJwt.Claims.Where(c => c.Type == "amr").Select(c => c.Value).Order(StringComparer.Ordinal));

        var stored = await PasskeyAsync(authenticator.Credentials[0]);
        Assert.Equal(1, stored.SignCount);
        Assert.NotNull(stored.LastUsedAt);
        Assert.Equal("Passkey 1", stored.Name);
        Assert.Equal(32, stored.UserHandle.Length);

        // The passkey's session is at eidas2, which the security page asks once the account has a second factor.
        var security = await fresh.NavigateAsync("/account/security?notice=passkey-added");
        Assert.Equal(HttpStatusCode.OK, security.Status);
        Assert.Contains("The passkey was added.", security.Html, StringComparison.Ordinal);
        Assert.Contains("Passkey 1", security.Html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Remove Passkey 1\"", security.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_SecondPasskey_ExcludesTheFirstKeepsTheUserHandleAndTakesTheGivenName()
    {
        var (owner, _) = await SignedInAsync();
        using var phone = new SoftwareAuthenticator(Origin);
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(owner, phone)).Status);
        // With a passkey the account needs eidas2 to change its factors: the passkey gives it.
        var login = await StartLoginAsync(owner, new() { ["prompt"] = "login" });
        await FinishLoginAsync(login, (await PasskeySignInAsync(login, phone)).Redirect!);

        var token = Token(await owner.NavigateAsync("/account/security"));
        var options = await PostAsync(owner, "/registry/passkeys/registration/options", token, new JsonObject());
        var publicKey = options.Body.GetProperty("publicKey");
        Assert.Equal(WebEncodersId(phone.Credentials[0].Id), Assert.Single(publicKey.GetProperty("excludeCredentials").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("required", publicKey.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        Assert.Equal("required", publicKey.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
        Assert.Equal("none", publicKey.GetProperty("attestation").GetString());
        Assert.Equal("localhost", publicKey.GetProperty("rp").GetProperty("id").GetString());
        Assert.Throws<InvalidOperationException>(() => phone.Create(publicKey));

        using var securityKey = new SoftwareAuthenticator(Origin);
        var answer = new JsonObject
        {
            ["ceremony"] = options.Body.GetProperty("ceremony").GetString(),
            ["credential"] = securityKey.Create(publicKey),
            ["name"] = "  Khóa USB  ",
        };
        var second = await PostAsync(owner, "/registry/passkeys/registration", token, answer.DeepClone());
        var replayed = await PostAsync(owner, "/registry/passkeys/registration", token, answer.DeepClone());
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal("ceremony_expired", replayed.Code);
        var stored = await PasskeyAsync(securityKey.Credentials[0]);
        Assert.Equal("Khóa USB", stored.Name);
        Assert.Equal(phone.Credentials[0].UserHandle, stored.UserHandle);
    }

    [Fact]
    public async Task Registration_WithoutSession_IsRefusedWithTheWayToLogIn()
    {
        using var anonymous = hub.CreateBrowser();
        var login = await StartLoginAsync(anonymous);
        var ceremonies = await CountAsync<PasskeyCeremony>(c => c.Kind == PasskeyCeremonyKind.Registration);

        var options = await PostAsync(anonymous, "/registry/passkeys/registration/options", login.Token, new JsonObject());

        Assert.Equal(HttpStatusCode.Unauthorized, options.Status);
        Assert.Equal("signed_out", options.Code);
        Assert.StartsWith("/registry/signin?journey=", options.Redirect, StringComparison.Ordinal);
        Assert.Equal(ceremonies, await CountAsync<PasskeyCeremony>(c => c.Kind == PasskeyCeremonyKind.Registration));
    }

    [Fact]
    public async Task Registration_WithoutAntiforgeryToken_IsRefused()
    {
        var (owner, _) = await SignedInAsync();
        await owner.NavigateAsync("/account/security");

        var options = await PostAsync(owner, "/registry/passkeys/registration/options", null, new JsonObject());

        Assert.Equal(HttpStatusCode.BadRequest, options.Status);
        Assert.Equal("antiforgery", options.Code);
    }

    [Fact]
    public async Task Registration_CeremonyOfAnotherPerson_IsRefusedAndLeftToItsOwner()
    {
        var (alice, _) = await SignedInAsync();
        var (bob, _) = await SignedInAsync();
        var aliceToken = Token(await alice.NavigateAsync("/account/security"));
        var bobToken = Token(await bob.NavigateAsync("/account/security"));
        var options = await PostAsync(alice, "/registry/passkeys/registration/options", aliceToken, new JsonObject());
        using var authenticator = new SoftwareAuthenticator(Origin);
        var answer = new JsonObject
        {
            ["ceremony"] = options.Body.GetProperty("ceremony").GetString(),
            ["credential"] = authenticator.Create(options.Body.GetProperty("publicKey")),
        };

        var stolen = await PostAsync(bob, "/registry/passkeys/registration", bobToken, answer.DeepClone());
        var own = await PostAsync(alice, "/registry/passkeys/registration", aliceToken, answer.DeepClone());

        Assert.Equal(HttpStatusCode.BadRequest, stolen.Status);
        Assert.Equal("ceremony_expired", stolen.Code);
        Assert.Equal(HttpStatusCode.OK, own.Status);
    }

    [Fact]
    public async Task Registration_WithoutUserVerificationOrFromAnotherOriginOrWithAnOverlongName_IsRefused()
    {
        var (owner, _) = await SignedInAsync();
        using var authenticator = new SoftwareAuthenticator(Origin) { VerifiesUser = false };
        Assert.Equal("verification_failed", (await RegisterAsync(owner, authenticator)).Code);

        authenticator.VerifiesUser = true;
        authenticator.Origin = "http://localhost.evil.example";
        Assert.Equal("verification_failed", (await RegisterAsync(owner, authenticator)).Code);

        authenticator.Origin = Origin;
        var tooLong = await RegisterAsync(owner, authenticator, new string('n', Passkeys.MaxNameLength + 1));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.Status);
        Assert.Equal("invalid_name", tooLong.Code);
        Assert.Equal(0, await CountAsync<Passkey>(p => authenticator.Credentials.Select(c => WebEncodersId(c.Id)).Contains(p.CredentialId)));
    }

    [Fact]
    public async Task SignIn_AnswerReplayedOnAnotherJourney_IsRefused()
    {
        using var authenticator = await RegisteredAuthenticatorAsync();
        using var browser = hub.CreateBrowser();
        var first = await StartLoginAsync(browser);
        var options = await PostAsync(browser, $"/registry/passkeys/signin/options?journey={first.Journey}", first.Token, new JsonObject());
        var answer = Answer(options, authenticator.Get(options.Body.GetProperty("publicKey")));
        var accepted = await PostAsync(browser, $"/registry/passkeys/signin?journey={first.Journey}", first.Token, answer.DeepClone());
        Assert.Equal(HttpStatusCode.OK, accepted.Status);

        var second = await StartLoginAsync(browser, new() { ["prompt"] = "login" });
        var replayed = await PostAsync(browser, $"/registry/passkeys/signin?journey={second.Journey}", second.Token, answer.DeepClone());

        Assert.Equal(HttpStatusCode.BadRequest, replayed.Status);
        Assert.Equal("ceremony_expired", replayed.Code);
    }

    [Fact]
    public async Task SignIn_CeremonyOfAnotherJourney_IsRefusedAndStillWorksForItsOwn()
    {
        using var authenticator = await RegisteredAuthenticatorAsync();
        using var browser = hub.CreateBrowser();
        var first = await StartLoginAsync(browser);
        var second = await StartLoginAsync(browser);
        var options = await PostAsync(browser, $"/registry/passkeys/signin/options?journey={first.Journey}", first.Token, new JsonObject());
        var answer = Answer(options, authenticator.Get(options.Body.GetProperty("publicKey")));

        var elsewhere = await PostAsync(browser, $"/registry/passkeys/signin?journey={second.Journey}", second.Token, answer.DeepClone());
        var own = await PostAsync(browser, $"/registry/passkeys/signin?journey={first.Journey}", first.Token, answer.DeepClone());

        Assert.Equal("ceremony_expired", elsewhere.Code);
        Assert.Equal(HttpStatusCode.OK, own.Status);
    }

    [Fact]
    public async Task SignIn_FailedAnswer_SpendsTheChallenge()
    {
        using var authenticator = await RegisteredAuthenticatorAsync();
        using var browser = hub.CreateBrowser();
        var login = await StartLoginAsync(browser);
        var options = await PostAsync(browser, $"/registry/passkeys/signin/options?journey={login.Journey}", login.Token, new JsonObject());
        var answer = Answer(options, authenticator.Get(options.Body.GetProperty("publicKey")));
        var forged = answer.DeepClone();
        var signature = WebEncodersDecode(forged["credential"]!["response"]!["signature"]!.GetValue<string>());
        signature[^1] ^= 0x01;
        forged["credential"]!["response"]!["signature"] = WebEncodersId(signature);

        var refused = await PostAsync(browser, $"/registry/passkeys/signin?journey={login.Journey}", login.Token, forged);
        var afterwards = await PostAsync(browser, $"/registry/passkeys/signin?journey={login.Journey}", login.Token, answer);

        Assert.Equal("verification_failed", refused.Code);
        Assert.Equal("ceremony_expired", afterwards.Code);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(0u)]
    public async Task SignIn_CounterThatDoesNotGrow_IsRefused(uint replayedCount)
    {
        using var authenticator = await RegisteredAuthenticatorAsync();
        using var browser = hub.CreateBrowser();
        var first = await StartLoginAsync(browser);
        Assert.Equal(HttpStatusCode.OK, (await PasskeySignInAsync(first, authenticator)).Status);

        var second = await StartLoginAsync(browser, new() { ["prompt"] = "login" });
        var cloned = await PasskeySignInAsync(second, authenticator, signCount: replayedCount);

        Assert.Equal(HttpStatusCode.BadRequest, cloned.Status);
        Assert.Equal("verification_failed", cloned.Code);
        Assert.Equal(1, (await PasskeyAsync(authenticator.Credentials[0])).SignCount);
    }

    [Fact]
    public async Task SignIn_WithoutUserVerificationOrFromAnotherOrigin_IsRefused()
    {
        using var authenticator = await RegisteredAuthenticatorAsync();
        using var browser = hub.CreateBrowser();
        authenticator.VerifiesUser = false;
        Assert.Equal("verification_failed", (await PasskeySignInAsync(await StartLoginAsync(browser), authenticator)).Code);

        authenticator.VerifiesUser = true;
        authenticator.Origin = "http://127.0.0.1";
        Assert.Equal("verification_failed", (await PasskeySignInAsync(await StartLoginAsync(browser), authenticator)).Code);
    }

    [Fact]
    public async Task SignIn_JourneyOfAnotherBrowser_IsSentToTheErrorPage()
    {
        using var victim = hub.CreateBrowser();
        using var attacker = hub.CreateBrowser();
        var login = await StartLoginAsync(victim);
        var own = await StartLoginAsync(attacker);

        var options = await PostAsync(attacker, $"/registry/passkeys/signin/options?journey={login.Journey}", own.Token, new JsonObject());

        Assert.Equal(HttpStatusCode.BadRequest, options.Status);
        Assert.Equal("journey_ended", options.Code);
        Assert.StartsWith("/error/journey_expired", options.Redirect, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_MalformedAnswer_IsABadRequestNotAFailure()
    {
        using var browser = hub.CreateBrowser();
        var login = await StartLoginAsync(browser);
        var url = $"/registry/passkeys/signin?journey={login.Journey}";

        foreach (var (body, type) in new[]
        {
            ("not json", "application/json"),
            ("{\"ceremony\":\"x\"}", "application/json"),
            ("{\"ceremony\":\"x\",\"credential\":{\"id\":\"AA\",\"rawId\":\"not base64url!\",\"type\":\"public-key\",\"response\":{}}}", "application/json"),
            ("{\"ceremony\":\"x\",\"credential\":{\"id\":\"AA\",\"rawId\":\"AA\",\"type\":\"secret-key\",\"response\":{}}}", "application/json"),
            ("ceremony=x", "text/plain"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, type) };
            request.Headers.Add("RequestVerificationToken", login.Token);
            using var response = await browser.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // An answer that parses but is not a WebAuthn assertion at all: refused by verification, not a 500.
        var options = await PostAsync(browser, $"/registry/passkeys/signin/options?journey={login.Journey}", login.Token, new JsonObject());
        var garbage = await PostAsync(browser, url, login.Token, new JsonObject
        {
            ["ceremony"] = options.Body.GetProperty("ceremony").GetString(),
            ["credential"] = new JsonObject
            {
                ["id"] = "AAAA",
                ["rawId"] = "AAAA",
                ["type"] = "public-key",
                ["response"] = new JsonObject { ["clientDataJSON"] = "AAAA", ["authenticatorData"] = "AAAA", ["signature"] = "AAAA", ["userHandle"] = "AAAA" },
                ["clientExtensionResults"] = new JsonObject(),
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, garbage.Status);
        Assert.Equal("unknown_passkey", garbage.Code);
    }

    [Fact]
    public async Task SecondFactor_PasskeyOfAnotherPerson_IsRefusedAndTheirOwnCompletesAtEidas2()
    {
        using var others = await RegisteredAuthenticatorAsync();
        var (owner, username) = await SignedInAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(owner, authenticator)).Status);

        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl(extra: new() { ["acr_values"] = "eidas2" }));
        var secondFactor = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = "Demo-Passw0rd!" });
        Assert.StartsWith("/registry/second-factor?journey=", secondFactor.Url, StringComparison.Ordinal);
        Assert.Contains("Verify with a passkey", secondFactor.Html, StringComparison.Ordinal);
        var journey = signIn.HiddenFields()["Journey"];
        var token = Token(secondFactor);
        var optionsUrl = $"/registry/passkeys/second-factor/options?journey={journey}";
        var url = $"/registry/passkeys/second-factor?journey={journey}";

        var options = await PostAsync(browser, optionsUrl, token, new JsonObject());
        var allowed = options.Body.GetProperty("publicKey").GetProperty("allowCredentials").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Equal([WebEncodersId(authenticator.Credentials[0].Id)], allowed);
        var foreign = await PostAsync(browser, url, token, Answer(options, others.Get(options.Body.GetProperty("publicKey"), use: others.Credentials[0])));
        Assert.Equal(HttpStatusCode.BadRequest, foreign.Status);
        Assert.Equal("unknown_passkey", foreign.Code);

        // A sign-in ceremony (anyone's passkey) cannot stand in for the second factor's (this person's).
        var signInOptions = await PostAsync(browser, $"/registry/passkeys/signin/options?journey={journey}", token, new JsonObject());
        var swapped = await PostAsync(browser, url, token, Answer(signInOptions, authenticator.Get(signInOptions.Body.GetProperty("publicKey"))));
        Assert.Equal("ceremony_expired", swapped.Code);

        options = await PostAsync(browser, optionsUrl, token, new JsonObject());
        var own = await PostAsync(browser, url, token, Answer(options, authenticator.Get(options.Body.GetProperty("publicKey"))));
        Assert.Equal(HttpStatusCode.OK, own.Status);
        var done = await browser.NavigateAsync(own.Redirect!);
        var tokens = await client.RedeemAsync(browser.Client, client.CallbackParameters(done)["code"]);
        Assert.Equal("eidas2", tokens.IdTokenJwt.GetClaim("acr").Value);
        Assert.Equal(["hwk", "mfa", "pwd"], tokens.IdTokenJwt.Claims.Where(c => c.Type == "amr").Select(c => c.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SecondFactor_WithoutAPasswordFirst_IsSentToTheSignInPage()
    {
        using var browser = hub.CreateBrowser();
        var login = await StartLoginAsync(browser, new() { ["acr_values"] = "eidas2" });

        var options = await PostAsync(browser, $"/registry/passkeys/second-factor/options?journey={login.Journey}", login.Token, new JsonObject());

        Assert.Equal("journey_ended", options.Code);
        Assert.Equal($"/registry/signin?journey={login.Journey}", options.Redirect);
    }

    [Fact]
    public async Task Removal_FromTheSecurityPage_EndsThePasskeysSignIn()
    {
        var (owner, _) = await SignedInAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(owner, authenticator)).Status);
        var login = await StartLoginAsync(owner, new() { ["prompt"] = "login" });
        await FinishLoginAsync(login, (await PasskeySignInAsync(login, authenticator)).Redirect!);

        var security = await owner.NavigateAsync("/account/security");
        var credentialId = WebEncodersId(authenticator.Credentials[0].Id);
        Assert.Contains($"value=\"{credentialId}\"", security.Html, StringComparison.Ordinal);
        using var removal = await owner.Client.PostAsync("/account/security?handler=RemovePasskey", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["credentialId"] = credentialId,
            ["__RequestVerificationToken"] = FormToken(security),
        }));
        Assert.Equal(HttpStatusCode.Redirect, removal.StatusCode);
        Assert.Equal("/account/security?notice=passkey-removed", removal.Headers.Location?.OriginalString);
        Assert.Equal(0, await CountAsync<Passkey>(p => p.CredentialId == credentialId));

        using var fresh = hub.CreateBrowser();
        var again = await PasskeySignInAsync(await StartLoginAsync(fresh), authenticator);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("unknown_passkey", again.Code);
    }

    [Theory]
    [InlineData("vi", "Đăng nhập bằng khóa truy cập")]
    [InlineData("en", "Sign in with a passkey")]
    [InlineData("fr", "Se connecter avec une clé d'accès")]
    public async Task SignInPage_OffersThePasskeyInEachLanguage(string language, string button)
    {
        using var browser = hub.CreateBrowser();
        var page = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl(extra: new() { ["ui_locales"] = language }));

        Assert.Contains($"<button type=\"submit\" class=\"secondary\">{button}</button>", System.Net.WebUtility.HtmlDecode(page.Html), StringComparison.Ordinal);
        Assert.Contains("<script src=\"/js/passkeys.js?v=", page.Html, StringComparison.Ordinal);
        // One antiforgery field: the passkey form carries its token as a data attribute, not a second field.
        Assert.Single(Regex.Matches(page.Html, "name=\"__RequestVerificationToken\""));
    }

    // ---- the browser's side, by hand

    private sealed record Login(OidcClient Client, Browser Browser, string Journey, string Token);

    private sealed record Reply(HttpStatusCode Status, JsonElement Body)
    {
        public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var code) ? code.GetString() : null;
        public string? Redirect => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("redirect", out var redirect) ? redirect.GetString() : null;
    }

    private static async Task<Login> StartLoginAsync(Browser browser, Dictionary<string, string?>? extra = null)
    {
        var client = OidcClient.Demo();
        var page = await browser.NavigateAsync(client.AuthorizeUrl(extra: extra));
        Assert.StartsWith("/registry/signin?journey=", page.Url, StringComparison.Ordinal);
        return new Login(client, browser, page.HiddenFields()["Journey"], Token(page));
    }

    private static async Task<Reply> PasskeySignInAsync(Login login, SoftwareAuthenticator authenticator, uint? signCount = null)
    {
        var options = await PostAsync(login.Browser, $"/registry/passkeys/signin/options?journey={login.Journey}", login.Token, new JsonObject());
        Assert.Equal(HttpStatusCode.OK, options.Status);
        var publicKey = options.Body.GetProperty("publicKey");
        Assert.Empty(publicKey.GetProperty("allowCredentials").EnumerateArray());
        Assert.Equal("required", publicKey.GetProperty("userVerification").GetString());
        return await PostAsync(login.Browser, $"/registry/passkeys/signin?journey={login.Journey}", login.Token,
            Answer(options, authenticator.Get(publicKey, signCount: signCount)));
    }

    private static async Task<TokenResponse> FinishLoginAsync(Login login, string redirect)
    {
        var done = await login.Browser.NavigateAsync(redirect);
        return await login.Client.RedeemAsync(login.Browser.Client, login.Client.CallbackParameters(done)["code"]);
    }

    private static async Task<Reply> RegisterAsync(Browser browser, SoftwareAuthenticator authenticator, string? name = null)
    {
        var page = await browser.NavigateAsync("/account/security");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("data-passkey=\"register\"", page.Html, StringComparison.Ordinal);
        var token = Token(page);
        var options = await PostAsync(browser, "/registry/passkeys/registration/options", token, new JsonObject());
        Assert.Equal(HttpStatusCode.OK, options.Status);
        var answer = Answer(options, authenticator.Create(options.Body.GetProperty("publicKey")));
        answer["name"] = name;
        return await PostAsync(browser, "/registry/passkeys/registration", token, answer);
    }

    /// <summary>A new account with a passkey on a new authenticator, registered after a password login.</summary>
    private async Task<SoftwareAuthenticator> RegisteredAuthenticatorAsync()
    {
        var (owner, _) = await SignedInAsync();
        using (owner)
        {
            var authenticator = new SoftwareAuthenticator(Origin);
            Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(owner, authenticator)).Status);
            return authenticator;
        }
    }

    private static JsonObject Answer(Reply options, JsonObject credential) => new()
    {
        ["ceremony"] = options.Body.GetProperty("ceremony").GetString(),
        ["credential"] = credential,
    };

    private static async Task<Reply> PostAsync(Browser browser, string url, string? token, JsonNode body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }
        using var response = await browser.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode != HttpStatusCode.InternalServerError, text);
        var json = response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
        return new Reply(response.StatusCode, json);
    }

    private static string Token(Browser.Page page) =>
        System.Net.WebUtility.HtmlDecode(DataAntiforgery().Match(page.Html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"{page.Url} has no passkey form."));

    private static string FormToken(Browser.Page page) =>
        System.Net.WebUtility.HtmlDecode(FormAntiforgery().Match(page.Html).Groups[1].Value);

    // ---- accounts and the database

    private async Task<(Browser Browser, string Username)> SignedInAsync()
    {
        var username = await CreateAccountAsync();
        var browser = hub.CreateBrowser();
        await OidcClient.Demo().LoginAsync(browser, username);
        return (browser, username);
    }

    private Task<string> CreateAccountAsync() => RegistryPeople.InsertAsync(hub, "passkey");

    private async Task<Passkey> PasskeyAsync(SoftwareAuthenticator.Credential credential)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var id = WebEncodersId(credential.Id);
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().Passkeys.AsNoTracking().SingleAsync(p => p.CredentialId == id);
    }

    private async Task<int> CountAsync<T>(System.Linq.Expressions.Expression<Func<T, bool>>? where = null) where T : class
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var set = scope.ServiceProvider.GetRequiredService<HubDbContext>().Set<T>();
        return where is null ? await set.CountAsync() : await set.CountAsync(where);
    }

    private static string WebEncodersId(byte[] id) => Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(id);

    private static byte[] WebEncodersDecode(string value) => Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(value);

    [GeneratedRegex("data-antiforgery=\"([^\"]+)\"")]
    private static partial Regex DataAntiforgery();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex FormAntiforgery();
}

public sealed class SqlitePasskeyTests(SqliteHub hub) : PasskeyTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresPasskeyTests(PostgresHub hub) : PasskeyTests(hub), IClassFixture<PostgresHub>;
