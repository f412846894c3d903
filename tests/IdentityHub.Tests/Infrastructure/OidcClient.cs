using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>What a relying party does, by hand, so tests can see every parameter of the protocol.</summary>
public sealed class OidcClient(string clientId, string? secret, string redirectUri)
{
    public const string DemoClientId = "sample-service";
    public const string DemoSecret = "sample-service-secret";
    public const string DemoRedirect = "http://localhost:5090/signin-oidc";
    public const string DemoPostLogout = "http://localhost:5090/signout-callback-oidc";

    public static OidcClient Demo() => new(DemoClientId, DemoSecret, DemoRedirect);

    public string ClientId => clientId;
    public string RedirectUri => redirectUri;
    public string State { get; } = Random();
    public string Nonce { get; } = Random();
    public string Verifier { get; } = Random();
    public string Challenge => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    /// <summary>False for a confidential client that sends no PKCE (allowed: CONTRACT section 2), as the OpenID Foundation's suite does.</summary>
    public bool Pkce { get; init; } = true;

    public string AuthorizeUrl(string scope = "openid profile birth email offline_access", Dictionary<string, string?>? extra = null, params string[] omit)
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["response_type"] = "code",
            ["scope"] = scope,
            ["state"] = State,
            ["nonce"] = Nonce,
            ["code_challenge"] = Challenge,
            ["code_challenge_method"] = "S256",
            ["ui_locales"] = "en",
        };
        foreach (var (key, value) in extra ?? [])
        {
            query[key] = value;
        }
        if (!Pkce)
        {
            query.Remove("code_challenge");
            query.Remove("code_challenge_method");
        }
        foreach (var name in omit)
        {
            query.Remove(name);
        }
        return QueryHelpers.AddQueryString("/connect/authorize", query);
    }

    /// <summary>Runs the browser part of a registry login and returns the parameters sent back to the redirect URI.</summary>
    public async Task<Dictionary<string, string>> LoginAsync(Browser browser, string username = "demo.citizen", string password = "Demo-Passw0rd!", string? url = null)
    {
        var signIn = await browser.NavigateAsync(url ?? AuthorizeUrl());
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var back = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = password });
        return CallbackParameters(back);
    }

    public Dictionary<string, string> CallbackParameters(Browser.Page page)
    {
        Assert.True(page.IsRedirect, $"Expected a redirect to the service, got {(int)page.Status} at {page.Url}");
        Assert.StartsWith(redirectUri + "?", page.Location, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(new Uri(page.Location!).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public async Task<TokenResponse> RedeemAsync(HttpClient http, string code, string? verifier = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
        };
        if (Pkce || verifier is not null)
        {
            form["code_verifier"] = verifier ?? Verifier;
        }
        return await TokenAsync(http, form);
    }

    public async Task<TokenResponse> RefreshAsync(HttpClient http, string refreshToken) =>
        await TokenAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken });

    public async Task<TokenResponse> TokenAsync(HttpClient http, Dictionary<string, string> form, string? secretOverride = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(form) };
        Authenticate(request, form, secretOverride);
        using var response = await http.SendAsync(request);
        return new TokenResponse(response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, Dictionary<string, string> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        Authenticate(request, form, null);
        return await http.SendAsync(request);
    }

    private void Authenticate(HttpRequestMessage request, Dictionary<string, string> form, string? secretOverride)
    {
        if (secret is null)
        {
            form["client_id"] = clientId;
            request.Content = new FormUrlEncodedContent(form);
            return;
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secretOverride ?? secret)}")));
    }

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
}

public sealed record TokenResponse(HttpStatusCode Status, JsonElement Body)
{
    public string? Get(string name) => Body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    public string Error => Get("error") ?? "";
    public string AccessToken => Get("access_token") ?? throw new InvalidOperationException($"No access token: {Body}");
    public string IdToken => Get("id_token") ?? throw new InvalidOperationException($"No ID token: {Body}");
    public string RefreshToken => Get("refresh_token") ?? throw new InvalidOperationException($"No refresh token: {Body}");
    public JsonWebToken IdTokenJwt => new(IdToken);
}
