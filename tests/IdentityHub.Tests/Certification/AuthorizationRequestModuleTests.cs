using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Certification;

/// <summary>
/// Modules of the OpenID Foundation's Basic OP plan (oidcc-basic-certification-test-plan) about the authorization
/// request: parameters the hub must accept, and requests it must refuse, at the redirect URI or on its own error page.
/// One test per module, named after it.
/// </summary>
public sealed class AuthorizationRequestModuleTests(PostgresHub hub) : IClassFixture<PostgresHub>
{
    [Fact]
    public async Task oidcc_response_type_missing()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        // The client and its redirect URI belong together, so the error goes back there, in the query (RFC 6749 4.1.2.1).
        var page = await browser.GetAsync(client.AuthorizeUrl(omit: "response_type"));
        var callback = client.CallbackParameters(page);
        BasicOpChecks.Error(callback, "invalid_request", client.State, issuer);
        Assert.Contains("response_type", callback["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task oidcc_ensure_request_without_nonce_succeeds_for_code_flow_IsRefused_TheNonceIsRequired()
    {
        // A deliberate deviation from the plan (docs/integration.md, "Conformance"): the nonce is required
        // (docs/integration.md, "Endpoints"), so the request is refused at the redirect URI and never yields a code.
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var callback = client.CallbackParameters(await browser.GetAsync(client.AuthorizeUrl("openid", omit: "nonce")));
        BasicOpChecks.Error(callback, "invalid_request", client.State, issuer);
        Assert.Contains("nonce", callback["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public Task oidcc_display_page() => LoginWithDisplayAsync("page");

    [Fact]
    public Task oidcc_display_popup() => LoginWithDisplayAsync("popup");

    [Fact]
    public async Task oidcc_ensure_request_with_unknown_parameter_succeeds()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var url = client.AuthorizeUrl("openid", new() { ["extra_parameter_" + Guid.NewGuid().ToString("N")[..6]] = "Vogon poetry" });
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, url);
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);
    }

    [Fact]
    public async Task oidcc_login_hint()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl("openid", new() { ["login_hint"] = "demo.citizen" }));
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        // The registry's username field comes filled in with the hint; the person types only the password.
        Assert.Matches("<input[^>]*id=\"username\"[^>]*value=\"demo.citizen\"", signIn.Html);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = BasicOpChecks.Password });
        var code = BasicOpChecks.Code(client.CallbackParameters(back), client, issuer);
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);

        // The suite's default hint is an e-mail address: shown as given, HTML-encoded, never an error.
        using var other = hub.CreateBrowser();
        var hinted = await other.NavigateAsync(BasicOpChecks.SuiteClient().AuthorizeUrl("openid", new() { ["login_hint"] = "buffy\"<b>@localhost" }));
        Assert.Equal(HttpStatusCode.OK, hinted.Status);
        Assert.Contains("value=\"buffy&quot;&lt;b&gt;@localhost\"", hinted.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vi", "Đăng nhập bằng tài khoản định danh quốc gia")]
    [InlineData("en", "Sign in with your national registry account")]
    [InlineData("fr-CA fr", "Connexion avec votre compte du registre national")]
    [InlineData("de en", "Sign in with your national registry account")]
    public async Task oidcc_ui_locales(string uiLocales, string title)
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl("openid", new() { ["ui_locales"] = uiLocales }));
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        var html = WebUtility.HtmlDecode(signIn.Html);
        Assert.Contains($"<h1>{title}</h1>", html, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = BasicOpChecks.Password });
        BasicOpChecks.Code(client.CallbackParameters(back), client, issuer);
    }

    [Fact]
    public async Task oidcc_claims_locales()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid profile", new() { ["claims_locales"] = "fr en vi" }));
        var tokens = await client.RedeemAsync(http, code);
        await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        // The hub's claims have one language: the values are those of the record, without language tags.
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal("An", userinfo.GetProperty("given_name").GetString());
        Assert.DoesNotContain(userinfo.EnumerateObject(), p => p.Name.Contains('#', StringComparison.Ordinal));
    }

    [Fact]
    public async Task oidcc_ensure_request_with_acr_values_succeeds()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var discovery = await BasicOpChecks.DiscoveryAsync(http);
        var issuer = discovery.GetProperty("issuer").GetString()!;
        // The suite asks for every advertised value; the lowest decides, and the token's acr is one of those asked.
        var advertised = discovery.GetProperty("acr_values_supported").EnumerateArray().Select(v => v.GetString()!).ToList();
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid", new() { ["acr_values"] = string.Join(' ', advertised) }));
        var idToken = await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);
        Assert.Equal("eidas1", idToken.GetClaim("acr").Value);
        Assert.Contains(idToken.GetClaim("acr").Value, advertised);
    }

    [Fact]
    public async Task oidcc_ensure_registered_redirect_uri()
    {
        using var browser = hub.CreateBrowser();
        // The suite appends a random part to the registered URI.
        var bad = OidcClient.DemoRedirect + "/" + Guid.NewGuid().ToString("N")[..10];
        var client = new OidcClient(OidcClient.DemoClientId, OidcClient.DemoSecret, bad);
        var page = await browser.GetAsync(client.AuthorizeUrl("openid"));
        AssertErrorPage(page, "invalid_request");
        Assert.DoesNotContain(bad, page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task oidcc_ensure_redirect_uri_in_authorization_request()
    {
        // A service registered with two redirect URIs that names neither: the hub cannot choose, and says so.
        var clientId = await RegisterAsync(["https://two.gov.vn/a", "https://two.gov.vn/b"]);
        using var browser = hub.CreateBrowser();
        var page = await browser.GetAsync(new OidcClient(clientId, null, "https://two.gov.vn/a").AuthorizeUrl("openid", omit: "redirect_uri"));
        AssertErrorPage(page, "invalid_request");
        Assert.Contains("redirect_uri", WebUtility.HtmlDecode(page.Html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var inner = QueryHelpers.ParseQuery(new Uri(new Uri(HubFactory.Issuer), client.AuthorizeUrl("openid")).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        var requestObject = UnsignedJwt(inner);

        // The suite's request: the request object, with response_type, client_id, scope and redirect_uri repeated
        // outside it (OIDC Core 6.1), and state only inside. Refused with request_not_supported at the redirect URI.
        var outside = new Dictionary<string, string?>
        {
            ["request"] = requestObject,
            ["response_type"] = "code",
            ["client_id"] = client.ClientId,
            ["scope"] = "openid",
            ["redirect_uri"] = client.RedirectUri,
        };
        var callback = client.CallbackParameters(await browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", outside)));
        BasicOpChecks.Error(callback, "request_not_supported", null, issuer);

        // With state outside too, it comes back with the error.
        outside["state"] = client.State;
        callback = client.CallbackParameters(await browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", outside)));
        BasicOpChecks.Error(callback, "request_not_supported", client.State, issuer);
    }

    [Fact]
    public async Task oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        // The hub never fetches a request_uri: the address need not exist.
        var url = QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["request_uri"] = "https://rp.example/requests/" + Guid.NewGuid().ToString("N") + "#frag",
            ["response_type"] = "code",
            ["client_id"] = client.ClientId,
            ["scope"] = "openid",
            ["redirect_uri"] = client.RedirectUri,
            ["state"] = client.State,
        });
        var callback = client.CallbackParameters(await browser.GetAsync(url));
        BasicOpChecks.Error(callback, "request_uri_not_supported", client.State, issuer);
    }

    [Fact]
    public async Task oidcc_ensure_request_object_with_redirect_uri()
    {
        // The redirect URI inside the request object is registered, the one outside is not. The hub reads no request
        // object, so it may trust neither: an error page, and no redirect to either URI (not even with request_not_supported).
        using var browser = hub.CreateBrowser();
        var client = BasicOpChecks.SuiteClient();
        var inner = QueryHelpers.ParseQuery(new Uri(new Uri(HubFactory.Issuer), client.AuthorizeUrl("openid")).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        var page = await browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["request"] = UnsignedJwt(inner),
            ["response_type"] = "code",
            ["client_id"] = client.ClientId,
            ["scope"] = "openid",
            ["redirect_uri"] = "https://attacker.example/cb",
        }));
        AssertErrorPage(page, "request_not_supported");
    }

    [Fact]
    public async Task oidcc_ensure_post_request_succeeds()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var parameters = QueryHelpers.ParseQuery(new Uri(new Uri(HubFactory.Issuer), client.AuthorizeUrl("openid")).Query).Select(p => new KeyValuePair<string, string>(p.Key, p.Value.ToString()));
        // The browser posts the request as a form (OIDC Core 3.1.2.1); the rest of the login is as usual.
        var posted = await Browser.Page.ReadAsync(await browser.Client.PostAsync("/connect/authorize", new FormUrlEncodedContent(parameters)));
        Assert.True(posted.IsRedirect && posted.Location!.StartsWith('/'), $"{(int)posted.Status} {posted.Location}");
        var signIn = await browser.NavigateAsync(posted.Location);
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = BasicOpChecks.Password });
        var code = BasicOpChecks.Code(client.CallbackParameters(back), client, issuer);
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);
    }

    [Fact]
    public async Task ensure_reversed_parameter_order_succeeds()
    {
        // Not a module of its own: the suite's request builders can send the parameters in reverse order, and the
        // issue asks for it (OAuth parameters are a set, RFC 6749 3.1).
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var query = new Uri(new Uri(HubFactory.Issuer), client.AuthorizeUrl("openid email")).Query.TrimStart('?').Split('&');
        var reversed = "/connect/authorize?" + string.Join('&', query.Reverse());
        Assert.StartsWith("/connect/authorize?ui_locales=", reversed, StringComparison.Ordinal);
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, reversed);
        var idToken = await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);
        Assert.Equal("demo.citizen@example.vn", idToken.GetClaim("email").Value);
    }

    [Fact]
    public async Task oidcc_prompt_none_not_logged_in()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var page = await browser.NavigateAsync(client.AuthorizeUrl("openid", new() { ["prompt"] = "none" }));
        BasicOpChecks.Error(client.CallbackParameters(page), "login_required", client.State, issuer);
    }

    /// <summary>The hub has one layout for every display (OIDC Core 3.1.2.1): the value is accepted and the login is as usual.</summary>
    private async Task LoginWithDisplayAsync(string display)
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid", new() { ["display"] = display }));
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);
    }

    private static void AssertErrorPage(Browser.Page page, string error)
    {
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
        Assert.Contains(error, page.Html, StringComparison.Ordinal);
    }

    /// <summary>A request object signed with "none" (OIDC Core 6.1), as the suite makes it.</summary>
    private static string UnsignedJwt(Dictionary<string, string> claims) =>
        Base64UrlEncoder.Encode("""{"alg":"none"}""") + "." + Base64UrlEncoder.Encode(JsonSerializer.Serialize(claims)) + ".";

    private async Task<string> RegisterAsync(string[] redirectUris)
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "cert-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Certification service",
            clientType = "confidential",
            redirectUris,
            allowedScopes = new[] { "openid" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return clientId;
    }
}
