using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LoadDriver;

/// <summary>The endpoints of the server under test, from its discovery document; each one loopback-checked.</summary>
internal sealed record Endpoints(Uri Discovery, string Issuer, Uri Authorization, Uri Token, Uri? UserInfo, Uri Jwks, Uri? Introspection, Uri? EndSession)
{
    public static async Task<Endpoints> LoadAsync(BenchHttp http, CancellationToken cancellationToken)
    {
        var discovery = DiscoveryUri(http.BaseUrl);
        var response = await http.GetAsync(discovery, "discovery (start-up)", null, false, cancellationToken);
        if (response.Status != 200)
        {
            throw response.Unexpected("the discovery document is needed before any scenario");
        }
        using var json = JsonDocument.Parse(response.Body);
        var root = json.RootElement;
        return new Endpoints(
            discovery,
            root.GetProperty("issuer").GetString() ?? throw new BenchException("discovery has no issuer"),
            Required(root, "authorization_endpoint"),
            Required(root, "token_endpoint"),
            Optional(root, "userinfo_endpoint"),
            Required(root, "jwks_uri"),
            Optional(root, "introspection_endpoint"),
            Optional(root, "end_session_endpoint"));
    }

    public static Uri DiscoveryUri(Uri baseUrl) => new(baseUrl.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration");

    private static Uri Required(JsonElement root, string name) =>
        Optional(root, name) ?? throw new BenchException($"discovery has no {name}");

    private static Uri? Optional(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.GetString() is not { } text)
        {
            return null;
        }
        var uri = new Uri(text, UriKind.Absolute);
        return Loopback.IsLoopback(uri)
            ? uri
            : throw new BenchException($"discovery's {name} is not on loopback", $"{text}: set the server's issuer to its loopback address");
    }
}

/// <summary>What a login or a grant returned.</summary>
internal sealed record TokenSet(string AccessToken, string? IdToken, string? RefreshToken);

/// <summary>A service of the scenario: its client id, its redirect URI and its client_secret_basic header.</summary>
internal sealed class BenchClient(string id, string secret, Uri redirectUri)
{
    public string Id { get; } = id;
    public Uri RedirectUri { get; } = redirectUri;

    // RFC 6749 section 2.3.1: form-encode the client id and secret before joining them.
    public AuthenticationHeaderValue Authentication { get; } = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
        Oidc.FormEncode(id) + ":" + Oidc.FormEncode(secret))));
}

/// <summary>The protocol steps the scenarios are made of, written once for both servers.</summary>
internal sealed class Oidc(BenchHttp http, DriverOptions options, Endpoints endpoints)
{
    private const int MaxHops = 25;
    private const int MaxForms = 4;

    /// <summary>The hub's second-factor and enrolment forms: the code's field, and the element with the setup key.</summary>
    private const string SecondFactorField = "Code";
    private const string SetupKeyId = "setup-key";

    public Endpoints Endpoints { get; } = endpoints;

    /// <summary>The scenario's client (--client-id): every scenario's grants, and the first login of sso.</summary>
    public BenchClient Client { get; } = new(options.ClientId, options.ClientSecret, options.RedirectUri);

    /// <summary>sso: the second service, logged in to from the first one's session.</summary>
    public BenchClient SecondClient { get; } = new(options.SecondClientId, options.SecondClientSecret, options.SecondRedirectUri);

    /// <summary>
    /// A full login in a fresh cookie jar: authorize → redirects and forms (sign-in, upstream source, consent) until
    /// the redirect_uri → token → userinfo. Throws when state, the id_token's nonce, or any step is wrong.
    /// </summary>
    public Task<TokenSet> LoginAsync(string? idpHint, CancellationToken cancellationToken) => LoginAsync(idpHint, null, cancellationToken);

    /// <summary>
    /// The same login as <paramref name="account"/>, whose authenticator app answers the hub's second-factor page; an
    /// account without a secret yet is enrolled on the way (the enrolment page, its setup key, a first code, the recovery
    /// codes' Continue), and only such an account may meet the enrolment page. The id_token must then carry amr
    /// <c>otp</c> and <c>mfa</c>.
    /// </summary>
    public Task<TokenSet> LoginAsync(string? idpHint, TotpAccount? account, CancellationToken cancellationToken) =>
        LoginAsync(new CookieJar(), Client, idpHint, account, singleSignOn: false, cancellationToken);

    /// <summary>
    /// A login of <paramref name="client"/> in the browser whose cookies are <paramref name="jar"/>. With
    /// <paramref name="singleSignOn"/>, the session in the jar must carry it: redirects only, no page, to the code.
    /// </summary>
    public async Task<TokenSet> LoginAsync(CookieJar jar, BenchClient client, string? idpHint, TotpAccount? account, bool singleSignOn,
        CancellationToken cancellationToken)
    {
        var mayEnrol = account is { Secret: null };
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var nonce = Base64Url(RandomNumberGenerator.GetBytes(16));
        var query = new List<KeyValuePair<string, string>>
        {
            new("client_id", client.Id),
            new("redirect_uri", client.RedirectUri.OriginalString),
            new("response_type", "code"),
            new("scope", options.Scope),
            new("state", state),
            new("nonce", nonce),
            new("code_challenge", challenge),
            new("code_challenge_method", "S256"),
        };
        if (options.UiLocales is { } locales)
        {
            query.Add(new("ui_locales", locales));
        }
        if (idpHint is not null)
        {
            query.Add(new("idp_hint", idpHint));
        }
        if (options.Prompt is { } prompt)
        {
            query.Add(new("prompt", prompt));
        }
        if (options.AcrValues is { } acrValues)
        {
            query.Add(new("acr_values", acrValues));
        }
        if (options.Resource is { } resource)
        {
            query.Add(new("resource", resource));
        }
        var authorize = WithQuery(Endpoints.Authorization, query);

        var visits = new Dictionary<string, int>(StringComparer.Ordinal);
        string Step(HttpMethod method, Uri uri)
        {
            var baseName = BenchHttp.StepName(method, uri, http.BaseUrl);
            var visit = visits[baseName] = visits.GetValueOrDefault(baseName) + 1;
            return BenchHttp.StepName(method, uri, http.BaseUrl, visit);
        }

        var response = await http.GetAsync(authorize, Step(HttpMethod.Get, authorize), jar, true, cancellationToken);
        Uri? callback = null;
        var forms = 0;
        var credentialsSent = false;
        var upstreamFormSeen = false;
        var codeSent = false;
        for (var hop = 0; hop < MaxHops && callback is null; hop++)
        {
            if (response.IsRedirect)
            {
                var location = response.Location ?? throw response.Unexpected("a redirect without Location");
                if (location.AbsoluteUri.StartsWith(client.RedirectUri.AbsoluteUri, StringComparison.Ordinal))
                {
                    callback = location;
                    break;
                }
                response = await http.GetAsync(location, Step(HttpMethod.Get, location), jar, true, cancellationToken);
                continue;
            }
            if (response.Status != 200)
            {
                // node-oidc-provider answers a wrong password with 401 and the form again.
                throw credentialsSent && response.MediaType?.Contains("html", StringComparison.OrdinalIgnoreCase) == true
                    && HtmlForm.Find(response.Text)?.HasPassword == true
                    ? response.Unexpected("the sign-in form came back after the credentials were sent")
                    : response.Unexpected("neither a redirect nor a page");
            }
            if (singleSignOn)
            {
                throw response.Unexpected("a page during single sign-on: the session in the cookie jar did not carry the login");
            }
            var form = HtmlForm.Find(response.Text) ?? throw response.Unexpected("a page without a form");
            if (++forms > MaxForms)
            {
                throw response.Unexpected($"more than {MaxForms} forms in one login");
            }
            var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
            (string, string)? button = null;
            if (form.HasPassword)
            {
                if (credentialsSent)
                {
                    throw response.Unexpected("the sign-in form came back after the credentials were sent");
                }
                var user = form.FieldNamed(["Input.Username", "username", "login", "Input.Email", "email"], "text")
                    ?? throw response.Unexpected("a password form without a username field");
                var password = form.FieldNamed(["Input.Password", "password"], "password")!;
                overrides[user] = account?.Username ?? options.Username;
                overrides[password] = options.Password;
                credentialsSent = true;
            }
            else if (form.FieldNamed([SecondFactorField]) is { } codeField)
            {
                // The hub's second-factor page, or its enrolment page (the setup key beside the form).
                if (account is null)
                {
                    throw response.Unexpected("a second-factor page, and this scenario has no authenticator app (login-mfa has)");
                }
                if (codeSent)
                {
                    throw response.Unexpected("the code form came back after a code was sent");
                }
                if (HtmlForm.InputValue(response.Text, SetupKeyId) is { } setupKey)
                {
                    if (!mayEnrol)
                    {
                        throw response.Unexpected($"the enrolment page for {account.Username}, whose app the hub should know (a --totp-accounts file of another database?)");
                    }
                    account.Enrolled(setupKey);
                }
                overrides[codeField] = account.NextCode(DateTimeOffset.UtcNow);
                codeSent = true;
            }
            else if (form.HasRadioGroup("person"))
            {
                // The mock upstream source: choose the person and press Sign in.
                overrides["person"] = options.UpstreamPerson;
                button = ("decision", "signin");
                upstreamFormSeen = true;
            }
            var action = string.IsNullOrEmpty(form.Action) ? response.RequestUri : new Uri(response.RequestUri, form.Action);
            var fields = form.Fields(overrides, button);
            if (form.Method == "get")
            {
                var target = WithQuery(new Uri(action.GetLeftPart(UriPartial.Path)), fields);
                response = await http.GetAsync(target, Step(HttpMethod.Get, target), jar, true, cancellationToken);
            }
            else
            {
                response = await http.PostFormAsync(action, Step(HttpMethod.Post, action), jar, fields, true, cancellationToken);
            }
        }
        if (callback is null)
        {
            throw new BenchException($"no redirect to the redirect_uri after {MaxHops} hops", response.RequestUri.AbsolutePath);
        }
        if (options.Scenario == ScenarioNames.FederatedLogin && !upstreamFormSeen)
        {
            // Otherwise a server without an upstream source would be measured on its password login, without an error.
            throw new BenchException("federated-login did not go through the upstream source's page",
                "is the source registered at the hub, or the peer started with PEER_UPSTREAM_ISSUER?");
        }

        var parameters = ParseQuery(callback.Query);
        if (parameters.GetValueOrDefault("error") is { } error)
        {
            throw new BenchException($"authorization response: {error}", parameters.GetValueOrDefault("error_description"));
        }
        if (parameters.GetValueOrDefault("state") != state)
        {
            throw new BenchException("authorization response: state does not match");
        }
        if (parameters.GetValueOrDefault("iss") is { } iss && iss != Endpoints.Issuer)
        {
            throw new BenchException("authorization response: iss is not the issuer", iss);
        }
        var code = parameters.GetValueOrDefault("code") ?? throw new BenchException("authorization response: no code");

        var tokens = await TokenAsync(
            [
                new("grant_type", "authorization_code"),
                new("code", code),
                new("redirect_uri", client.RedirectUri.OriginalString),
                new("code_verifier", verifier),
            ], cancellationToken, client);
        if (tokens.IdToken is null)
        {
            throw new BenchException("token response (authorization_code): no id_token");
        }
        if (JwtClaim(tokens.IdToken, "nonce") != nonce)
        {
            throw new BenchException("token response (authorization_code): the id_token's nonce does not match");
        }
        if (options.AcrValues is { } asked && JwtClaim(tokens.IdToken, "acr") is var acr && acr != asked)
        {
            throw new BenchException($"token response (authorization_code): the id_token's acr is not {asked}", acr ?? "no acr");
        }
        if (account is not null)
        {
            if (!codeSent)
            {
                throw new BenchException("login-mfa: the login ended without a second-factor page");
            }
            var amr = JwtClaimValues(tokens.IdToken, "amr");
            if (!amr.Contains("otp") || !amr.Contains("mfa"))
            {
                throw new BenchException("token response (authorization_code): the id_token's amr lacks otp or mfa", string.Join(' ', amr));
            }
        }
        await UserInfoAsync(tokens.AccessToken, cancellationToken);
        return tokens;
    }

    /// <summary>A token request with client_secret_basic; the access token is required, the others are returned when present.</summary>
    public async Task<TokenSet> TokenAsync(IEnumerable<KeyValuePair<string, string>> form, CancellationToken cancellationToken, BenchClient? client = null)
    {
        var response = await http.PostFormAsync(Endpoints.Token, "POST " + Endpoints.Token.AbsolutePath, null, form, false, cancellationToken,
            (client ?? Client).Authentication);
        if (response.Status != 200)
        {
            throw response.Unexpected("token request refused");
        }
        using var json = ParseJson(response);
        var root = json.RootElement;
        var access = String(root, "access_token") ?? throw new BenchException($"{response.Describe()}: no access_token");
        return new TokenSet(access, String(root, "id_token"), String(root, "refresh_token"));
    }

    public Task<TokenSet> ClientCredentialsAsync(CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (options.Scope.Length > 0)
        {
            form.Add(new("scope", options.Scope));
        }
        return TokenAsync(form, cancellationToken);
    }

    public Task<TokenSet> RefreshAsync(string refreshToken, CancellationToken cancellationToken) =>
        TokenAsync([new("grant_type", "refresh_token"), new("refresh_token", refreshToken)], cancellationToken);

    /// <summary>A refresh for the access token of one data provider (RFC 8707): the hub narrows it to that resource.</summary>
    public Task<TokenSet> RefreshForResourceAsync(string refreshToken, string resource, CancellationToken cancellationToken) =>
        TokenAsync([new("grant_type", "refresh_token"), new("refresh_token", refreshToken), new("resource", resource)], cancellationToken);

    /// <summary>data-introspection: the data provider, whose credentials introspect.</summary>
    public BenchClient? Provider { get; } = options.ProviderId is { } providerId ? new(providerId, options.ProviderSecret!, options.RedirectUri) : null;

    /// <summary>GET userinfo with the access token; a JSON object with <c>sub</c> is required.</summary>
    public async Task UserInfoAsync(string accessToken, CancellationToken cancellationToken)
    {
        var endpoint = Endpoints.UserInfo ?? throw new BenchException("discovery has no userinfo_endpoint");
        var response = await http.GetAsync(endpoint, "GET " + endpoint.AbsolutePath, null, false, cancellationToken,
            new AuthenticationHeaderValue("Bearer", accessToken));
        if (response.Status != 200)
        {
            throw response.Unexpected("userinfo refused");
        }
        if (response.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            throw new BenchException($"{response.Describe()}: not JSON ({response.MediaType})");
        }
        using var json = ParseJson(response);
        if (String(json.RootElement, "sub") is null)
        {
            throw new BenchException($"{response.Describe()}: no sub");
        }
    }

    /// <summary>POST the token to introspection (client_secret_basic, as <paramref name="caller"/> or the scenario's client); it must be active.</summary>
    public async Task IntrospectAsync(string token, CancellationToken cancellationToken, BenchClient? caller = null)
    {
        var endpoint = Endpoints.Introspection ?? throw new BenchException("discovery has no introspection_endpoint");
        var response = await http.PostFormAsync(endpoint, "POST " + endpoint.AbsolutePath, null,
            [new("token", token), new("token_type_hint", "access_token")], false, cancellationToken, (caller ?? Client).Authentication);
        if (response.Status != 200)
        {
            throw response.Unexpected("introspection refused");
        }
        using var json = ParseJson(response);
        if (!json.RootElement.TryGetProperty("active", out var active) || active.ValueKind != JsonValueKind.True)
        {
            throw new BenchException($"{response.Describe()}: the token is not active");
        }
    }

    /// <summary>
    /// RP-initiated logout in the browser whose cookies are <paramref name="jar"/>: GET end_session with
    /// id_token_hint, post_logout_redirect_uri and state → redirects (through the upstream source's end-session, where
    /// the session began there) → the post_logout_redirect_uri with the same state. node-oidc-provider asks the person
    /// to confirm even with a hint (one form, answered "yes"); the hub must not ask when the hint is valid.
    /// </summary>
    public async Task LogoutAsync(CookieJar jar, string idToken, CancellationToken cancellationToken)
    {
        var endpoint = Endpoints.EndSession ?? throw new BenchException("discovery has no end_session_endpoint");
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var target = WithQuery(endpoint,
        [
            new("id_token_hint", idToken),
            new("post_logout_redirect_uri", options.PostLogoutRedirectUri.OriginalString),
            new("state", state),
        ]);
        var visits = new Dictionary<string, int>(StringComparer.Ordinal);
        string Step(HttpMethod method, Uri uri)
        {
            var baseName = BenchHttp.StepName(method, uri, http.BaseUrl);
            var visit = visits[baseName] = visits.GetValueOrDefault(baseName) + 1;
            return BenchHttp.StepName(method, uri, http.BaseUrl, visit);
        }

        var response = await http.GetAsync(target, Step(HttpMethod.Get, target), jar, true, cancellationToken);
        var confirmed = false;
        for (var hop = 0; hop < MaxHops; hop++)
        {
            if (response.IsRedirect)
            {
                var location = response.Location ?? throw response.Unexpected("a redirect without Location");
                if (location.AbsoluteUri.StartsWith(options.PostLogoutRedirectUri.AbsoluteUri, StringComparison.Ordinal))
                {
                    var parameters = ParseQuery(location.Query);
                    if (parameters.GetValueOrDefault("error") is { } error)
                    {
                        throw new BenchException($"end-session response: {error}", parameters.GetValueOrDefault("error_description"));
                    }
                    if (parameters.GetValueOrDefault("state") != state)
                    {
                        throw new BenchException("end-session response: state does not match");
                    }
                    return;
                }
                response = await http.GetAsync(location, Step(HttpMethod.Get, location), jar, true, cancellationToken);
                continue;
            }
            if (response.Status != 200)
            {
                throw response.Unexpected("neither a redirect nor a page during the logout");
            }
            if (options.Server == ServerKind.Hub || confirmed)
            {
                throw response.Unexpected(confirmed ? "a second page after the logout was confirmed" : "a page during a logout with a valid id_token_hint");
            }
            var form = HtmlForm.Find(response.Text) is { HasPassword: false } found ? found : throw response.Unexpected("no confirmation form");
            // node-oidc-provider's buttons sit outside its form (form="op.logoutForm"): "Yes, sign me out" sends logout=yes.
            var fields = form.Fields(new Dictionary<string, string>(StringComparer.Ordinal) { ["logout"] = "yes" });
            var action = string.IsNullOrEmpty(form.Action) ? response.RequestUri : new Uri(response.RequestUri, form.Action);
            response = await http.PostFormAsync(action, Step(HttpMethod.Post, action), jar, fields, true, cancellationToken);
            confirmed = true;
        }
        throw new BenchException($"no redirect to the post_logout_redirect_uri after {MaxHops} hops", response.RequestUri.AbsolutePath);
    }

    /// <summary>A GET whose 200 response is read completely and not parsed (discovery, JWKS).</summary>
    public async Task FetchDocumentAsync(Uri uri, CancellationToken cancellationToken)
    {
        var response = await http.GetAsync(uri, "GET " + uri.AbsolutePath, null, false, cancellationToken);
        if (response.Status != 200 || response.Body.Length == 0)
        {
            throw response.Unexpected("document not served");
        }
    }

    private static JsonDocument ParseJson(Exchange response)
    {
        try
        {
            var json = JsonDocument.Parse(response.Body);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                json.Dispose();
                throw new BenchException($"{response.Describe()}: the JSON is not an object");
            }
            return json;
        }
        catch (JsonException exception)
        {
            throw new BenchException($"{response.Describe()}: not JSON", exception.Message, exception);
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A claim of a JWT's payload, signature not checked: the driver checks the nonce, not the signature.</summary>
    internal static string? JwtClaim(string jwt, string claim)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            return json.RootElement.ValueKind == JsonValueKind.Object ? String(json.RootElement, claim) : null;
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A claim of a JWT's payload that is a string or an array of strings (amr), signature not checked.</summary>
    internal static IReadOnlyList<string> JwtClaimValues(string jwt, string claim)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return [];
        }
        try
        {
            using var json = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty(claim, out var value))
            {
                return [];
            }
            return value.ValueKind switch
            {
                JsonValueKind.String => [value.GetString()!],
                JsonValueKind.Array => [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)],
                _ => [],
            };
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            return [];
        }
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '='));
    }

    internal static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    internal static Uri WithQuery(Uri uri, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var query = string.Join('&', parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
        return new Uri(uri.AbsoluteUri + separator + query);
    }

    internal static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            result.TryAdd(name, value);
        }
        return result;
    }
}
