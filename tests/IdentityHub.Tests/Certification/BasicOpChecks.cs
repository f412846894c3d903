using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Certification;

/// <summary>
/// The checks the OpenID Foundation's conformance suite makes in every module of the Basic OP plan, written once:
/// the authorization response, the token response, the ID token and userinfo. The issuer is always the string
/// discovery publishes, never a literal.
/// </summary>
internal static class BasicOpChecks
{
    public const string Password = "Demo-Passw0rd!";

    /// <summary>The demo service as the suite's client is: confidential, without PKCE (only the PKCE module sends it).</summary>
    public static OidcClient SuiteClient() => new(OidcClient.DemoClientId, OidcClient.DemoSecret, OidcClient.DemoRedirect) { Pkce = false };

    public static async Task<JsonElement> DiscoveryAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static async Task<string> IssuerAsync(HttpClient http) => (await DiscoveryAsync(http)).GetProperty("issuer").GetString()!;

    /// <summary>The path of an endpoint published in discovery, to call it on the in-process hub.</summary>
    public static string PathOf(JsonElement discovery, string endpoint) => new Uri(discovery.GetProperty(endpoint).GetString()!).PathAndQuery;

    /// <summary>A successful authorization response (OIDC Core 3.1.2.5, RFC 9207): a code, the state sent, the issuer.</summary>
    public static string Code(Dictionary<string, string> callback, OidcClient client, string issuer)
    {
        Assert.False(callback.ContainsKey("error"), $"unexpected error: {string.Join(", ", callback)}");
        Assert.Equal(client.State, callback["state"]);
        Assert.Equal(issuer, callback["iss"]);
        Assert.False(string.IsNullOrEmpty(callback["code"]));
        return callback["code"];
    }

    /// <summary>An authorization error response at the redirect URI: the error, the state sent, the issuer, and no code.</summary>
    public static void Error(Dictionary<string, string> callback, string error, string? state, string issuer)
    {
        Assert.Equal(error, callback.GetValueOrDefault("error"));
        Assert.Equal(state, callback.GetValueOrDefault("state"));
        Assert.Equal(issuer, callback["iss"]);
        Assert.DoesNotContain("code", callback.Keys);
    }

    /// <summary>
    /// The token response of the code flow and its ID token as the suite's ValidateIdToken sees them: a bearer access
    /// token, an ID token signed RS256 by a key of the JWKS with a kid, for this client, from this issuer, with the
    /// nonce sent, a subject, an issue time and an expiry.
    /// </summary>
    public static async Task<JsonWebToken> IdTokenAsync(HttpClient http, TokenResponse tokens, OidcClient client, string issuer)
    {
        Assert.True(tokens.Status == HttpStatusCode.OK, $"{tokens.Status}: {tokens.Body}");
        Assert.Equal("Bearer", tokens.Get("token_type"));
        Assert.True(tokens.Body.GetProperty("expires_in").GetInt32() > 0);
        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));

        var discovery = await DiscoveryAsync(http);
        var keys = new JsonWebKeySet(await http.GetStringAsync(PathOf(discovery, "jwks_uri")));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.IdToken, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = client.ClientId,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = ["RS256"],
            RequireExpirationTime = true,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = tokens.IdTokenJwt;
        Assert.Equal(issuer, token.Issuer);
        Assert.Equal([client.ClientId], token.Audiences);
        Assert.Contains(keys.Keys, k => k.Kid == token.Kid);
        Assert.Equal(client.Nonce, token.GetClaim("nonce").Value);
        Assert.False(string.IsNullOrEmpty(token.Subject));
        Assert.True(token.IssuedAt > DateTime.UnixEpoch && token.ValidTo > token.IssuedAt);
        return token;
    }

    public static long AuthTime(JsonWebToken token) => long.Parse(token.GetClaim("auth_time").Value, CultureInfo.InvariantCulture);

    /// <summary>A registry login in a fresh browser session: the authorization response's code, checked.</summary>
    public static async Task<string> LoginAsync(Browser browser, OidcClient client, string issuer, string? url = null) =>
        Code(await client.LoginAsync(browser, password: Password, url: url), client, issuer);

    /// <summary>Userinfo with the access token in the Authorization header, by GET or by POST.</summary>
    public static async Task<JsonElement> UserInfoAsync(HttpClient http, HttpMethod method, string accessToken)
    {
        var path = PathOf(await DiscoveryAsync(http), "userinfo_endpoint");
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (method == HttpMethod.Post)
        {
            request.Content = new FormUrlEncodedContent([]);
        }
        return await UserInfoResponseAsync(http, request);
    }

    public static async Task<JsonElement> UserInfoResponseAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {response.Headers.WwwAuthenticate} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
