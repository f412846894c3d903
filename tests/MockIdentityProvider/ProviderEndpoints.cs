using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MockIdentityProvider;

/// <summary>Paths, shared by the endpoint map and the discovery document.</summary>
public static class Routes
{
    public const string Discovery = "/.well-known/openid-configuration";
    public const string Jwks = "/jwks";
    public const string Authorize = "/authorize";
    public const string Token = "/token";
    public const string UserInfo = "/userinfo";
    public const string EndSession = "/endsession";
    public const string LastAuthorize = "/test/last-authorize";
    public const string Logouts = "/test/logouts";
}

/// <summary>
/// An OpenID Connect provider for one confidential client: authorization code flow with PKCE S256 only,
/// refusing anything a real provider would refuse, so that the hub's client side is tested for real.
/// </summary>
internal static class ProviderEndpoints
{
    public const string CancelDescription = "The person cancelled the login at the identity source.";

    private static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan IdTokenLifetime = TimeSpan.FromMinutes(10);
    private static readonly string[] DefaultAmr = ["pwd", "otp"];
    private static readonly string[] KnownPrompts = ["none", "login", "consent", "select_account"];
    // Vietnamese names stay readable in curl output; characters that matter to HTML are still escaped.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    public static async Task<IResult> Discovery(IOptions<MockIdentityProviderOptions> options, IssuerResolver issuers, CancellationToken aborted)
    {
        var o = options.Value;
        await SlowDown(o, aborted);
        var issuer = issuers.Issuer;
        var document = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["issuer"] = issuer,
            ["authorization_endpoint"] = issuer + Routes.Authorize,
            ["token_endpoint"] = issuer + Routes.Token,
            ["userinfo_endpoint"] = issuer + Routes.UserInfo,
            ["jwks_uri"] = issuer + Routes.Jwks,
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query" },
            ["grant_types_supported"] = new[] { "authorization_code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.RsaSha256 },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["scopes_supported"] = new[] { "openid", "profile", "email", "phone", "birth", "identity_number" },
            ["claims_supported"] = new[] { "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr" }
                .Concat(ClaimNames.Standard.Select(name => ClaimNames.Name(name, o.ClaimNames))),
            ["acr_values_supported"] = TestPeople.All.Select(p => p.Acr).Append(o.Acr).OfType<string>().Distinct().Order(StringComparer.Ordinal),
            ["authorization_response_iss_parameter_supported"] = true,
            ["claims_parameter_supported"] = false,
            ["request_parameter_supported"] = false,
            // Discovery's default for this one is true.
            ["request_uri_parameter_supported"] = false,
        };
        if (o.EndSession)
        {
            document["end_session_endpoint"] = issuer + Routes.EndSession;
        }
        return Results.Json(document, Json);
    }

    public static IResult Jwks(SigningKey key) => Results.Json(new { keys = new[] { key.PublicJwk() } }, Json);

    public static IResult ShowLogin(HttpContext http, IOptions<MockIdentityProviderOptions> options, IssuerResolver issuers, ProviderStore store)
    {
        var query = http.Request.Query;
        // Recorded before validation: a test may want to see exactly what the hub sent, especially when it was wrong.
        store.RecordAuthorize(query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal));
        // prompt=login and max_age need nothing more: this source keeps no session and always shows the page.
        return TryValidate(query, options.Value, issuers.Issuer, out var request, out var refusal)
            ? Pages.Login(options.Value, request.Parameters, request.LoginHint)
            : refusal;
    }

    public static async Task<IResult> Decide(HttpContext http, IOptions<MockIdentityProviderOptions> options, IssuerResolver issuers,
        ProviderStore store, TimeProvider time)
    {
        if (!http.Request.HasFormContentType)
        {
            return Pages.Error("invalid_request", "The decision must be posted from the sign-in form.");
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var o = options.Value;
        var issuer = issuers.Issuer;
        var original = form.Where(f => f.Key is not (Pages.DecisionField or Pages.PersonField));
        if (!TryValidate(original, o, issuer, out var request, out var refusal))
        {
            return refusal;
        }
        switch (form[Pages.DecisionField].ToString())
        {
            case "cancel":
                return RedirectTo(request.RedirectUri, ("error", "access_denied"), ("error_description", CancelDescription),
                    ("state", request.State), ("iss", issuer));
            case "signin" when TestPeople.Find(form[Pages.PersonField]) is { } person:
                var now = time.GetUtcNow();
                var code = store.IssueCode(new CodeGrant(o.ClientId, request.RedirectUri, request.CodeChallenge, request.Nonce, request.Scope,
                    person, now, now + CodeLifetime));
                return RedirectTo(request.RedirectUri, ("code", code), ("state", request.State), ("iss", issuer));
            case "signin":
                return Pages.Login(o, request.Parameters, null, "Choose the person who signs in.", StatusCodes.Status400BadRequest);
            default:
                return Pages.Login(o, request.Parameters, form[Pages.PersonField], "Press Sign in or Cancel.", StatusCodes.Status400BadRequest);
        }
    }

    public static async Task<IResult> Token(HttpContext http, IOptions<MockIdentityProviderOptions> options, IssuerResolver issuers,
        ProviderStore store, SigningKey key, TimeProvider time)
    {
        var o = options.Value;
        await SlowDown(o, http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        if (!http.Request.HasFormContentType)
        {
            return TokenError("invalid_request", "The token request must be application/x-www-form-urlencoded.");
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form.FirstOrDefault(f => f.Value.Count > 1).Key is { } repeated)
        {
            return TokenError("invalid_request", $"The parameter {repeated} is repeated.");
        }
        if (AuthenticateClient(http, form, o) is { } clientRefusal)
        {
            return clientRefusal;
        }
        var grantType = form["grant_type"].ToString();
        if (grantType != "authorization_code")
        {
            return grantType.Length == 0
                ? TokenError("invalid_request", "grant_type is missing.")
                : TokenError("unsupported_grant_type", "Only authorization_code is supported.");
        }
        var code = form["code"].ToString();
        if (code.Length == 0)
        {
            return TokenError("invalid_request", "code is missing.");
        }
        var grant = store.TakeCode(code);
        if (grant is null)
        {
            return TokenError("invalid_grant", "The code is unknown, expired or already used.");
        }
        if (grant.ClientId != o.ClientId)
        {
            return TokenError("invalid_grant", "The code was issued to another client.");
        }
        if (form["redirect_uri"].ToString() != grant.RedirectUri)
        {
            return TokenError("invalid_grant", "redirect_uri differs from the one of the authorization request.");
        }
        if (!VerifierMatches(form["code_verifier"].ToString(), grant.CodeChallenge))
        {
            return TokenError("invalid_grant", "code_verifier is missing or does not match the code_challenge.");
        }
        var now = time.GetUtcNow();
        var accessToken = store.IssueAccessToken(code, new AccessGrant(grant.ClientId, grant.Person, grant.Scope, now + AccessTokenLifetime));
        return Results.Json(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["access_token"] = accessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = (int)AccessTokenLifetime.TotalSeconds,
            ["scope"] = grant.Scope,
            ["id_token"] = IdToken(grant, o, issuers.Issuer, key, now),
        }, Json);
    }

    public static async Task<IResult> UserInfo(HttpContext http, IOptions<MockIdentityProviderOptions> options, ProviderStore store)
    {
        var o = options.Value;
        await SlowDown(o, http.RequestAborted);
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6750 §3.1: no error code when the request carried no credentials at all.
            return Unauthorized(http, "Bearer");
        }
        var grant = store.FindAccessToken(header["Bearer ".Length..].Trim());
        if (grant is null)
        {
            return Unauthorized(http, "Bearer error=\"invalid_token\", error_description=\"The access token is unknown, expired or revoked.\"");
        }
        http.Response.Headers.CacheControl = "no-store";
        var claims = new Dictionary<string, string>(StringComparer.Ordinal) { ["sub"] = grant.Person.Subject };
        foreach (var (name, value) in IdentityClaims(grant.Person, o.ClaimNames))
        {
            claims[name] = value;
        }
        return Results.Json(claims, Json);
    }

    public static async Task<IResult> EndSession(HttpContext http, IOptions<MockIdentityProviderOptions> options, IssuerResolver issuers,
        ProviderStore store, SigningKey key, TimeProvider time)
    {
        var o = options.Value;
        if (!o.EndSession)
        {
            return Results.NotFound();
        }
        var raw = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType
            ? await http.Request.ReadFormAsync(http.RequestAborted)
            : (IEnumerable<KeyValuePair<string, StringValues>>)http.Request.Query;
        var all = raw.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        if (all.FirstOrDefault(p => p.Value.Count > 1).Key is { } repeated)
        {
            return Pages.Error("invalid_request", $"The parameter {repeated} is repeated.");
        }
        var clientId = One(all, "client_id");
        if (clientId is not null && clientId != o.ClientId)
        {
            return Pages.Error("invalid_request", "Unknown client_id.");
        }
        string? subject = null;
        if (One(all, "id_token_hint") is { } hint)
        {
            var validation = await new JsonWebTokenHandler().ValidateTokenAsync(hint, new TokenValidationParameters
            {
                ValidIssuer = issuers.Issuer,
                ValidAudience = o.ClientId,
                IssuerSigningKey = key.Key,
                // An expired ID token still says who is leaving (RP-Initiated Logout 1.0 §2).
                ValidateLifetime = false,
            });
            if (!validation.IsValid || validation.SecurityToken is not JsonWebToken idToken)
            {
                return Pages.Error("invalid_request", "The id_token_hint was not issued by this source to this client.");
            }
            subject = idToken.Subject;
        }
        var postLogoutRedirectUri = One(all, "post_logout_redirect_uri");
        if (postLogoutRedirectUri is not null && !o.PostLogoutRedirectUris.Contains(postLogoutRedirectUri))
        {
            return Pages.Error("invalid_request", "The post_logout_redirect_uri is not registered for this client.");
        }
        var state = One(all, "state");
        store.RecordLogout(new LogoutRecord(time.GetUtcNow(), clientId ?? (subject is null ? null : o.ClientId), subject, postLogoutRedirectUri, state));
        return postLogoutRedirectUri is null ? Pages.SignedOut(o) : RedirectTo(postLogoutRedirectUri, ("state", state));
    }

    public static IResult LastAuthorize(ProviderStore store) =>
        store.LastAuthorize is { } parameters ? Results.Json(parameters, Json) : Results.NotFound();

    public static IResult Logouts(ProviderStore store)
    {
        var logouts = store.Logouts;
        return Results.Json(new { count = logouts.Count, logouts }, Json);
    }

    private sealed record AuthorizationRequest(string RedirectUri, string State, string Nonce, string CodeChallenge, string Scope, string? LoginHint,
        IReadOnlyDictionary<string, string> Parameters);

    private static bool TryValidate(IEnumerable<KeyValuePair<string, StringValues>> raw, MockIdentityProviderOptions o, string issuer,
        [NotNullWhen(true)] out AuthorizationRequest? request, [NotNullWhen(false)] out IResult? refusal)
    {
        request = null;
        var all = raw.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        // Until client_id and redirect_uri are known good, nobody may be sent anywhere (RFC 6749 §4.1.2.1).
        if (One(all, "client_id") != o.ClientId)
        {
            refusal = Pages.Error("invalid_client", "The client_id is missing or unknown to this identity source.");
            return false;
        }
        if (One(all, "redirect_uri") is not { } redirectUri || !o.RedirectUris.Contains(redirectUri))
        {
            refusal = Pages.Error("invalid_request", "The redirect_uri is missing or not registered for this client.");
            return false;
        }
        var state = One(all, "state");
        if (Problem(all) is { } problem)
        {
            refusal = RedirectTo(redirectUri, ("error", problem.Error), ("error_description", problem.Description), ("state", state), ("iss", issuer));
            return false;
        }
        request = new AuthorizationRequest(redirectUri, state!, One(all, "nonce")!, One(all, "code_challenge")!, One(all, "scope")!,
            One(all, "login_hint"), all.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal));
        refusal = null;
        return true;
    }

    private static (string Error, string Description)? Problem(Dictionary<string, StringValues> all)
    {
        if (all.FirstOrDefault(p => p.Value.Count > 1).Key is { } repeated)
        {
            return ("invalid_request", $"The parameter {repeated} is repeated.");
        }
        var responseType = One(all, "response_type");
        if (responseType != "code")
        {
            return responseType is null
                ? ("invalid_request", "response_type is missing.")
                : ("unsupported_response_type", "Only response_type=code is supported.");
        }
        if (One(all, "response_mode") is not (null or "query"))
        {
            return ("invalid_request", "Only response_mode=query is supported.");
        }
        if (all.ContainsKey("request"))
        {
            return ("request_not_supported", "Request objects are not supported.");
        }
        if (all.ContainsKey("request_uri"))
        {
            return ("request_uri_not_supported", "request_uri is not supported.");
        }
        if (!Words(One(all, "scope")).Contains("openid"))
        {
            return ("invalid_scope", "The scope must include openid.");
        }
        if (One(all, "state") is null)
        {
            return ("invalid_request", "state is required.");
        }
        if (One(all, "nonce") is null)
        {
            return ("invalid_request", "nonce is required.");
        }
        if (One(all, "code_challenge") is not { } challenge || !IsS256Challenge(challenge) || One(all, "code_challenge_method") != "S256")
        {
            return ("invalid_request", "PKCE is required: code_challenge (43 base64url characters) with code_challenge_method=S256.");
        }
        var prompts = Words(One(all, "prompt"));
        if (prompts.Except(KnownPrompts).Any() || (prompts.Contains("none") && prompts.Length > 1))
        {
            return ("invalid_request", "Unsupported prompt value.");
        }
        if (One(all, "max_age") is { } maxAge && !uint.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return ("invalid_request", "max_age must be a non-negative integer.");
        }
        if (prompts.Contains("none"))
        {
            return ("login_required", "This identity source keeps no session: the person must sign in.");
        }
        return null;
    }

    private static IResult? AuthenticateClient(HttpContext http, IFormCollection form, MockIdentityProviderOptions o)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var basic = header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        var posted = form.ContainsKey("client_secret");
        if (basic && posted)
        {
            return TokenError("invalid_request", "Use one client authentication method, not two.");
        }
        var (id, secret) = basic ? DecodeBasic(header["Basic ".Length..]) : posted ? (form["client_id"].ToString(), form["client_secret"].ToString()) : (null, null);
        if (id != o.ClientId || secret is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(o.ClientSecret)))
        {
            // RFC 6749 §5.2: 401 with a challenge, whichever method the client tried.
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"token\"";
            return TokenError("invalid_client", "Client authentication failed.", StatusCodes.Status401Unauthorized);
        }
        if (basic && form.TryGetValue("client_id", out var bodyClientId) && bodyClientId.ToString() != id)
        {
            return TokenError("invalid_request", "client_id differs from the authenticated client.");
        }
        return null;
    }

    // RFC 6749 §2.3.1: identifier and secret are form-encoded before being joined and base64-encoded.
    private static (string? Id, string? Secret) DecodeBasic(string encoded)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Trim()));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (null, null) : (WebUtility.UrlDecode(text[..colon]), WebUtility.UrlDecode(text[(colon + 1)..]));
        }
        catch (FormatException)
        {
            return (null, null);
        }
    }

    private static string IdToken(CodeGrant grant, MockIdentityProviderOptions o, string issuer, SigningKey key, DateTimeOffset now)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = grant.Person.Subject,
            ["nonce"] = grant.Nonce,
            ["auth_time"] = grant.AuthTime.ToUnixTimeSeconds(),
            ["acr"] = grant.Person.Acr ?? o.Acr,
            ["amr"] = (grant.Person.Amr ?? DefaultAmr).ToArray(),
        };
        if (!grant.Person.ClaimsOnlyInUserInfo)
        {
            foreach (var (name, value) in IdentityClaims(grant.Person, o.ClaimNames))
            {
                claims[name] = value;
            }
        }
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = grant.ClientId,
            IssuedAt = now.UtcDateTime,
            Expires = (now + IdTokenLifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = key.Credentials,
        });
    }

    private static IEnumerable<KeyValuePair<string, string>> IdentityClaims(TestPerson person, ClaimNaming naming) =>
        person.Claims.Select(claim => KeyValuePair.Create(ClaimNames.Name(claim.Key, naming), claim.Value));

    private static bool IsS256Challenge(string challenge) =>
        challenge.Length == 43 && challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    // RFC 7636 §4.1: 43 to 128 unreserved characters.
    private static bool VerifierMatches(string verifier, string challenge) =>
        verifier.Length is >= 43 and <= 128
        && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
        && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))),
            Encoding.ASCII.GetBytes(challenge));

    private static string? One(Dictionary<string, StringValues> all, string name) =>
        all.TryGetValue(name, out var values) && values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private static string[] Words(string? value) => (value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static IResult RedirectTo(string uri, params (string Name, string? Value)[] parameters) =>
        Results.Redirect(QueryHelpers.AddQueryString(uri, parameters.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Name, p.Value))));

    private static IResult TokenError(string error, string description, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(new Dictionary<string, string>(StringComparer.Ordinal) { ["error"] = error, ["error_description"] = description }, Json,
            statusCode: status);

    private static IResult Unauthorized(HttpContext http, string challenge)
    {
        http.Response.Headers.WWWAuthenticate = challenge;
        return Results.StatusCode(StatusCodes.Status401Unauthorized);
    }

    private static Task SlowDown(MockIdentityProviderOptions o, CancellationToken aborted) =>
        o.DelayMilliseconds > 0 ? Task.Delay(o.DelayMilliseconds, aborted) : Task.CompletedTask;
}
