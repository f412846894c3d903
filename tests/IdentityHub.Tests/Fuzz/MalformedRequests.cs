using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IdentityHub.Tests.Fuzz;

/// <summary>What the generator spoils: a login waiting at the registry's sign-in form, and credentials that work.</summary>
/// <param name="JourneyCookies">The Cookie header of the browser whose login is at the sign-in form.</param>
/// <param name="Antiforgery">That browser's antiforgery token, as the sign-in form carries it.</param>
/// <param name="AccessToken">A person's valid access token (userinfo, introspection).</param>
/// <param name="AdminToken">A valid hub.admin access token.</param>
/// <param name="OverKestrel">The hub listens on a socket: raw bytes can be sent, and the server's own limits apply.</param>
public sealed record FuzzContext(string JourneyId, string JourneyCookies, string Antiforgery, string AccessToken, string AdminToken, bool OverKestrel);

/// <summary>
/// One malformed request. <see cref="Description"/> names its target and each way it was spoiled, so that a failure
/// can be read, and replayed with the same seed.
/// </summary>
public sealed record FuzzRequest(string Description, string Method, string Target, byte[]? Body, string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Raw = null)
{
    public HttpRequestMessage ToMessage(Uri hub)
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), new Uri(hub, Target));
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }
        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        return message;
    }
}

/// <summary>
/// A seeded generator of requests that are each malformed in at least one way that must make the hub refuse them:
/// NUL and control characters, invalid UTF-8, conflicting duplicates, missing or huge required values, wrong content
/// types, malformed credentials, JSON that does not parse or has the wrong types, odd methods, spoiled path segments.
/// Noise is added on top (many or huge unknown parameters, garbage cookies, bad percent escapes). Because every
/// request must be refused, none may write anything.
/// </summary>
public sealed class MalformedRequests(int seed, FuzzContext context)
{
    public const string ServiceId = "sample-service";
    public const string ServiceSecret = "sample-service-secret";
    public const string ServiceRedirect = "http://localhost:5090/signin-oidc";
    public const string ServicePostLogout = "http://localhost:5090/signout-callback-oidc";
    public const string CitizenIdentityNumber = "001190000001";
    public const string UnknownUsername = "fuzz.nobody";
    public const string DemoEnterprise = "0101234567";

    private readonly Random _random = new(seed);

    private static readonly string[] ControlCharacters = ["%00", "%01", "%07", "%08", "%0B", "%0C", "%1B", "%1F", "%7F"];

    /// <summary>Bytes no UTF-8 decoder may accept: stray or truncated sequences, overlong forms, surrogates, beyond U+10FFFF.</summary>
    private static readonly string[] InvalidUtf8 = ["%FF", "%FE", "%80", "%C3%28", "%C0%AF", "%E0%80%AF", "%ED%A0%80", "%ED%BF%BF", "%F4%90%80%80", "%F8%88%80%80%80", "%C3"];

    private static readonly string[] BadEscapes = ["%", "%zz", "%%41", "%u0041", "%G0", "+%2"];

    private static readonly string[] OddMethods = ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "PROPFIND"];

    /// <summary>Path segments no identifier of the hub can be.</summary>
    private static readonly string[] BadSegments = ["%00", "a%00b", "%01x", "%FF", "%C0%AF", "%ED%A0%80", "x%1B%5B2J", "%7F"];

    private enum Spoil
    {
        ControlCharacter,
        InvalidUtf8,
        Huge,
        ConflictingDuplicate,
        MissingRequired,
        WrongContentType,
        BadCredentials,
        OddMethod,
        BadPathSegment,
        BadCookies,
    }

    private enum Credentials
    {
        None,
        ServiceBasic,
        AdminBasic,
        Bearer,
    }

    /// <summary>An endpoint that takes parameters (query or form), and the ways a request to it is sure to fail.</summary>
    private sealed record FormTarget(
        string Name,
        string Path,
        string[] Methods,
        Func<FuzzContext, (string Name, string Value)[]> Base,
        string[] Critical,
        string[] Required,
        Spoil[] Spoils,
        Credentials Credentials = Credentials.None,
        bool Journey = false,
        string? Segment = null,
        bool Browser = false);

    private static readonly (string, string)[] AuthorizeBase =
    [
        ("client_id", ServiceId), ("redirect_uri", ServiceRedirect), ("response_type", "code"), ("scope", "openid profile"),
        ("state", "fuzz-state"), ("nonce", "fuzz-nonce"), ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"), ("ui_locales", "en"), ("login_hint", "demo.citizen"),
    ];

    private static readonly Spoil[] ParameterSpoils =
        [Spoil.ControlCharacter, Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.InvalidUtf8, Spoil.Huge, Spoil.ConflictingDuplicate, Spoil.MissingRequired, Spoil.WrongContentType, Spoil.OddMethod];

    private static readonly FormTarget[] FormTargets =
    [
        new("authorize", "/connect/authorize", ["GET", "POST"], _ => AuthorizeBase,
            Critical: ["client_id", "redirect_uri", "response_type", "code_challenge_method"],
            Required: ["client_id", "redirect_uri", "response_type", "state", "nonce"],
            Spoils: ParameterSpoils, Browser: true),
        new("token (code)", "/connect/token", ["POST"], _ =>
            [("grant_type", "authorization_code"), ("code", "fuzz-code-that-was-never-issued"), ("redirect_uri", ServiceRedirect), ("code_verifier", new string('v', 43))],
            Critical: ["grant_type", "code", "redirect_uri"], Required: ["grant_type", "code"],
            Spoils: [.. ParameterSpoils, Spoil.BadCredentials], Credentials: Credentials.ServiceBasic),
        new("token (refresh)", "/connect/token", ["POST"], _ => [("grant_type", "refresh_token"), ("refresh_token", "fuzz-refresh-token")],
            Critical: ["grant_type", "refresh_token"], Required: ["grant_type", "refresh_token"],
            Spoils: [.. ParameterSpoils, Spoil.BadCredentials], Credentials: Credentials.ServiceBasic),
        // A valid request would issue a token: each spoil below is sure to prevent it.
        new("token (client credentials)", "/connect/token", ["POST"], _ => [("grant_type", "client_credentials"), ("scope", "hub.admin")],
            Critical: ["grant_type"], Required: ["grant_type"],
            Spoils: [.. ParameterSpoils, Spoil.BadCredentials], Credentials: Credentials.AdminBasic),
        new("token (secret in body)", "/connect/token", ["POST"], _ =>
            [("grant_type", "client_credentials"), ("client_id", "hub-admin"), ("client_secret", Infrastructure.HubFactory.AdminSecret), ("scope", "hub.admin")],
            Critical: ["grant_type", "client_id", "client_secret"], Required: ["grant_type", "client_id", "client_secret"],
            Spoils: ParameterSpoils),
        new("userinfo", "/connect/userinfo", ["GET", "POST"], _ => [("claims_locales", "en")],
            Critical: [], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.WrongContentType, Spoil.OddMethod, Spoil.BadCredentials],
            Credentials: Credentials.Bearer),
        new("introspect", "/connect/introspect", ["POST"], c => [("token", c.AccessToken), ("token_type_hint", "access_token")],
            Critical: ["token"], Required: ["token"], Spoils: [.. ParameterSpoils, Spoil.BadCredentials], Credentials: Credentials.ServiceBasic),
        // Never a real token: revoking one would be a legitimate write.
        new("revoke", "/connect/revoke", ["POST"], _ => [("token", "fuzz-token-that-was-never-issued"), ("token_type_hint", "refresh_token")],
            Critical: ["token"], Required: ["token"], Spoils: [.. ParameterSpoils, Spoil.BadCredentials], Credentials: Credentials.ServiceBasic),
        new("end session", "/connect/endsession", ["GET", "POST"], _ =>
            [("client_id", ServiceId), ("post_logout_redirect_uri", ServicePostLogout), ("state", "fuzz-bye")],
            Critical: ["client_id", "post_logout_redirect_uri"], Required: [],
            Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.Huge, Spoil.ConflictingDuplicate, Spoil.WrongContentType, Spoil.OddMethod], Browser: true),
        new("logout page", "/logout", ["GET", "POST"], c => [("client_id", ServiceId), ("post_logout_redirect_uri", ServicePostLogout), ("__RequestVerificationToken", c.Antiforgery)],
            Critical: [], Required: ["__RequestVerificationToken"], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.OddMethod], Journey: true, Browser: true),
        // An unknown account: the lock counts a readable attempt for it as for any username (and only for it).
        new("registry sign-in", "/registry/signin", ["GET", "POST"], c =>
            [("journey", c.JourneyId), ("Input.Username", UnknownUsername), ("Input.Password", "Fuzz-Passw0rd!"), ("__RequestVerificationToken", c.Antiforgery)],
            Critical: ["journey", "Input.Username", "Input.Password"], Required: ["journey", "__RequestVerificationToken"],
            Spoils: [.. ParameterSpoils, Spoil.BadCookies], Journey: true, Browser: true),
        new("registry sign-in (a real account)", "/registry/signin", ["POST"], c =>
            [("journey", c.JourneyId), ("Input.Username", "demo.citizen"), ("Input.Password", "Demo-Passw0rd!"), ("__RequestVerificationToken", c.Antiforgery)],
            Critical: [], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8], Journey: true, Browser: true),
        new("chooser", "/login/{segment}", ["GET"], _ => [("notice", "unknown_source")],
            Critical: [], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.BadCookies, Spoil.OddMethod],
            Journey: true, Segment: "journey", Browser: true),
        // Cancelling for real ends the login: each spoil below is sure to prevent it.
        new("chooser cancel", "/login/{segment}?handler=Cancel", ["POST"], c => [("__RequestVerificationToken", c.Antiforgery)],
            Critical: [], Required: ["__RequestVerificationToken"],
            Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.MissingRequired, Spoil.BadPathSegment, Spoil.BadCookies],
            Journey: true, Segment: "journey", Browser: true),
        new("error page", "/error/{segment}", ["GET", "POST"], c => [("journey", c.JourneyId)],
            Critical: ["journey"], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.ConflictingDuplicate, Spoil.OddMethod],
            Journey: true, Segment: "invalid_request", Browser: true),
        new("unknown protocol path", "/connect/{segment}", ["GET", "POST"], c => [("journey", c.JourneyId), ("code", "invalid_request")],
            Critical: [], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment], Journey: true, Segment: "nothing-here", Browser: true),
        new("federation start", "/federation/{segment}", ["GET"], c => [("journey", c.JourneyId)],
            Critical: ["journey"], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.Huge],
            Journey: true, Segment: "registry", Browser: true),
        new("federation callback", "/signin/{segment}", ["GET", "POST"], _ => [("state", "fuzz-state"), ("code", "fuzz-code"), ("iss", "http://bank.example/")],
            Critical: ["state"], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.Huge, Spoil.WrongContentType],
            Journey: true, Segment: "mock-bank", Browser: true),
        // The fuzz's journey is at the chooser: the consent page must send it there, whatever the form says.
        new("consent", "/consent/{segment}", ["GET", "POST"], c => [("decision", "continue"), ("__RequestVerificationToken", c.Antiforgery)],
            Critical: [], Required: ["__RequestVerificationToken"],
            Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.BadCookies, Spoil.OddMethod],
            Journey: true, Segment: "journey", Browser: true),
        new("source logout", "/federation/{segment}/logout", ["GET"], _ => [("ticket", "fuzz-ticket")],
            Critical: ["ticket"], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.Huge],
            Journey: true, Segment: "mock-bank", Browser: true),
        new("source logout return", "/signout/{segment}", ["GET", "POST"], _ => [("state", "fuzz-state")],
            Critical: ["state"], Required: [], Spoils: [Spoil.ControlCharacter, Spoil.InvalidUtf8, Spoil.BadPathSegment, Spoil.Huge, Spoil.WrongContentType],
            Journey: true, Segment: "mock-bank", Browser: true),
        // Without a session a readable form would start a login (a journey written): only the refused forms here.
        new("dashboard withdraw", "/account?handler=Withdraw", ["POST"], c => [("consentId", Guid.Empty.ToString()), ("__RequestVerificationToken", c.Antiforgery)],
            Critical: [], Required: ["__RequestVerificationToken"], Spoils: [Spoil.MissingRequired, Spoil.BadCookies], Journey: true, Browser: true),
        new("dashboard log out", "/account?handler=LogOut", ["POST"], c => [("sessionId", "fuzz-session"), ("__RequestVerificationToken", c.Antiforgery)],
            Critical: [], Required: ["__RequestVerificationToken"], Spoils: [Spoil.MissingRequired, Spoil.BadCookies], Journey: true, Browser: true),
    ];

    /// <summary>An admin API operation with a JSON body that would succeed as it is; each request spoils it for sure.</summary>
    private sealed record JsonTarget(string Name, string Method, string Path, Func<JsonObject> Base, string[] Required);

    private static readonly JsonTarget[] JsonTargets =
    [
        new("create relying party", "POST", "/api/admin/v1/relying-parties", () => new JsonObject
        {
            ["clientId"] = "fuzz-service", ["displayName"] = "Fuzz service", ["clientType"] = "confidential",
            ["grantTypes"] = new JsonArray("authorization_code", "refresh_token"), ["tokenEndpointAuthMethod"] = "client_secret_basic",
            ["redirectUris"] = new JsonArray("https://fuzz.gov.vn/signin-oidc"), ["postLogoutRedirectUris"] = new JsonArray("https://fuzz.gov.vn/bye"),
            ["allowedScopes"] = new JsonArray("openid", "profile"), ["minimumAcr"] = "eidas1", ["consent"] = "explicit",
        }, ["clientId", "displayName", "clientType"]),
        new("replace relying party", "PUT", "/api/admin/v1/relying-parties/" + ServiceId, () => new JsonObject
        {
            ["clientId"] = ServiceId, ["displayName"] = "Sample service (changed)", ["clientType"] = "confidential",
            ["redirectUris"] = new JsonArray(ServiceRedirect), ["postLogoutRedirectUris"] = new JsonArray(ServicePostLogout),
            ["allowedScopes"] = new JsonArray("openid", "profile", "birth", "email", "offline_access"),
        }, ["displayName", "clientType"]),
        new("create identity source", "POST", "/api/admin/v1/identity-sources", () => new JsonObject
        {
            ["id"] = "fuzz-source", ["displayName"] = "Fuzz bank", ["kind"] = "oidc", ["authority"] = "https://bank.fuzz.example",
            ["clientId"] = "identityhub", ["clientSecret"] = "fuzz-secret", ["scopes"] = new JsonArray("openid", "profile"),
            ["acr"] = "eidas2", ["subjects"] = "individuals", ["claimMappings"] = new JsonObject { ["birthplace"] = "place_of_birth" },
            ["enabled"] = true,
        }, ["id", "displayName", "kind", "authority", "clientId", "clientSecret", "acr", "subjects"]),
        new("replace registry source", "PUT", "/api/admin/v1/identity-sources/registry", () => new JsonObject
        {
            ["id"] = "registry", ["displayName"] = "Registry (changed)", ["kind"] = "registry", ["acr"] = "eidas2", ["subjects"] = "both", ["enabled"] = false,
        }, ["displayName", "kind", "acr", "subjects"]),
        new("create data provider", "POST", "/api/admin/v1/data-providers", () => new JsonObject
        {
            ["id"] = "fuzz-agency", ["displayName"] = "Fuzz agency", ["resource"] = "https://api.fuzz.gov.vn",
            ["scopes"] = new JsonArray(new JsonObject
            {
                ["name"] = "fuzz_records", ["description"] = new JsonObject { ["vi"] = "Hồ sơ", ["en"] = "Records", ["fr"] = "Dossiers" },
            }),
            ["subjectIdentifier"] = "pairwise",
        }, ["id", "displayName", "resource", "scopes"]),
        new("replace data provider", "PUT", "/api/admin/v1/data-providers/tax-office", () => new JsonObject
        {
            ["id"] = "tax-office", ["displayName"] = "Cục Thuế (changed)", ["resource"] = "http://localhost:5095",
            ["scopes"] = new JsonArray(new JsonObject
            {
                ["name"] = "tax_income", ["description"] = new JsonObject { ["vi"] = "Thu nhập", ["en"] = "Income", ["fr"] = "Revenus" },
            }),
            ["subjectIdentifier"] = "identity_number",
        }, ["displayName", "resource", "scopes"]),
        new("create person", "POST", "/api/admin/v1/registry/people", () => new JsonObject
        {
            ["identityNumber"] = "079199000123", ["givenName"] = "Fuzz", ["familyName"] = "Nguyễn", ["birthdate"] = "1991-02-03", ["gender"] = "female",
            ["birthplace"] = "79001", ["birthcountry"] = "VN", ["email"] = "fuzz@example.vn", ["phoneNumber"] = "+84901234567",
            ["username"] = "fuzz.person", ["password"] = "Correct-Horse-Battery-42",
            ["address"] = new JsonObject { ["street_address"] = "12 Lê Lợi", ["locality"] = "Quận 1", ["region"] = "Hồ Chí Minh", ["country"] = "VN" },
        }, ["identityNumber", "givenName", "familyName", "birthdate", "gender", "username", "password"]),
        new("create enterprise", "POST", "/api/admin/v1/registry/enterprises", () => new JsonObject
        {
            ["enterpriseId"] = "0109999999", ["name"] = "Công ty Fuzz",
        }, ["enterpriseId", "name"]),
        new("add representative", "POST", $"/api/admin/v1/registry/enterprises/{DemoEnterprise}/representatives", () => new JsonObject
        {
            ["identityNumber"] = CitizenIdentityNumber, ["role"] = "Kế toán",
        }, ["identityNumber", "role"]),
    ];

    /// <summary>Admin operations addressed by a path segment: a real one for reads, always a spoiled one for writes.</summary>
    private static readonly (string Method, string Path, string Existing, bool Writes)[] AdminPaths =
    [
        ("GET", "/api/admin/v1/relying-parties/{0}", ServiceId, false),
        ("DELETE", "/api/admin/v1/relying-parties/{0}", ServiceId, true),
        ("POST", "/api/admin/v1/relying-parties/{0}/secret", ServiceId, true),
        ("GET", "/api/admin/v1/identity-sources/{0}", "registry", false),
        ("DELETE", "/api/admin/v1/identity-sources/{0}", "registry", true),
        ("GET", "/api/admin/v1/registry/people/{0}", CitizenIdentityNumber, false),
        ("GET", "/api/admin/v1/registry/enterprises/{0}", DemoEnterprise, false),
        ("POST", "/api/admin/v1/registry/enterprises/{0}/representatives", DemoEnterprise, true),
        ("GET", "/api/admin/v1/relying-parties{0}", "", false),
        ("GET", "/api/admin/v1/identity-sources{0}", "", false),
        ("GET", "/api/admin/v1/data-providers/{0}", "tax-office", false),
        ("DELETE", "/api/admin/v1/data-providers/{0}", "tax-office", true),
        ("GET", "/api/admin/v1/data-providers{0}", "", false),
    ];

    /// <summary>Fixed cases first (the issue's NUL bytes, the size limits, raw bytes on the wire), then random ones.</summary>
    public IEnumerable<FuzzRequest> Generate(int count)
    {
        var fixedCases = FixedCases().ToList();
        foreach (var request in fixedCases)
        {
            yield return request;
        }
        for (var i = fixedCases.Count; i < count; i++)
        {
            var roll = _random.NextDouble();
            yield return roll < 0.62 ? Form(Pick(FormTargets))
                : roll < 0.9 ? Json(Pick(JsonTargets))
                : AdminPath(Pick(AdminPaths));
        }
    }

    private IEnumerable<FuzzRequest> FixedCases()
    {
        var service = BasicHeader(ServiceId, ServiceSecret);
        // The issue's case, and its neighbours: a NUL byte in each credential, by the body and by the header.
        yield return Post("token: client_secret=%00", "/connect/token", "grant_type=client_credentials&client_id=hub-admin&client_secret=%00");
        yield return Post("token: client_id=%00", "/connect/token", "grant_type=client_credentials&client_id=%00&client_secret=x");
        yield return Post("token: Basic with a %00 secret", "/connect/token", "grant_type=client_credentials", ("Authorization", BasicHeader("hub-admin", "%00")));
        yield return Post("token: Basic with a %00 client id", "/connect/token", "grant_type=client_credentials", ("Authorization", BasicHeader("%00", "x")));
        yield return Post("token: code=%00", "/connect/token", $"grant_type=authorization_code&code=%00&redirect_uri={Uri.EscapeDataString(ServiceRedirect)}", ("Authorization", service));
        yield return Post("token: refresh_token=%00", "/connect/token", "grant_type=refresh_token&refresh_token=%00", ("Authorization", service));
        yield return Post("revoke: token=%00", "/connect/revoke", "token=%00", ("Authorization", service));
        yield return Post("introspect: token=%00", "/connect/introspect", "token=%00", ("Authorization", service));
        yield return Get("authorize: client_id=%00", "/connect/authorize?client_id=%00&redirect_uri=x&response_type=code&state=s&nonce=n");
        yield return Get("authorize: state with %00 (the client and redirect URI are right)", "/connect/authorize?" + Encode(AuthorizeBase).Replace("fuzz-state", "fuzz%00state", StringComparison.Ordinal));

        // Size limits: a 10 MB form in one value, in millions of small ones, 2,000 parameters, a 3,000-character name.
        var tenMegabytes = "a=" + new string('x', 10 * 1024 * 1024);
        var millions = string.Join('&', Enumerable.Repeat("a=b", 10 * 1024 * 1024 / 4));
        var many = string.Join('&', Enumerable.Range(0, 2000).Select(i => $"p{i}=v"));
        yield return Post("token: a 10 MB value", "/connect/token", tenMegabytes, ("Authorization", service));
        yield return Post("token: 10 MB of tiny parameters", "/connect/token", millions, ("Authorization", service));
        yield return Post("token: 2,000 parameters", "/connect/token", "grant_type=client_credentials&" + many, ("Authorization", BasicHeader("hub-admin", Infrastructure.HubFactory.AdminSecret)));
        yield return Post("token: a 3,000-character name", "/connect/token", new string('n', 3000) + "=v&grant_type=refresh_token&refresh_token=x", ("Authorization", service));
        yield return Post("authorize: 2,000 parameters", "/connect/authorize", Encode(AuthorizeBase) + "&" + many);
        yield return Post("sign-in: a 10 MB value", $"/registry/signin?journey={context.JourneyId}", tenMegabytes, ("Cookie", context.JourneyCookies));
        yield return Post("sign-in: 2,000 parameters", $"/registry/signin?journey={context.JourneyId}",
            $"Input.Username={UnknownUsername}&Input.Password=x&__RequestVerificationToken={Uri.EscapeDataString(context.Antiforgery)}&{many}", ("Cookie", context.JourneyCookies));
        yield return new FuzzRequest("admin: a 10 MB JSON body", "POST", "/api/admin/v1/relying-parties",
            Encoding.UTF8.GetBytes($"{{\"clientId\":\"x\",\"displayName\":\"{new string('d', 10 * 1024 * 1024)}\"}}"), "application/json", [new("Authorization", "Bearer " + context.AdminToken)]);

        if (context.OverKestrel)
        {
            foreach (var raw in RawCases())
            {
                yield return raw;
            }
        }
    }

    /// <summary>Bytes no HTTP client library would send: the server itself must turn them away, with a 4xx.</summary>
    private IEnumerable<FuzzRequest> RawCases()
    {
        FuzzRequest Raw(string description, params byte[][] parts) => new(description, "RAW", "", null, null, [], [.. parts.SelectMany(p => p)]);
        static byte[] A(string text) => Encoding.Latin1.GetBytes(text);
        FuzzRequest RawPost(string description, string target, byte[] header, byte[] rawHeaderPart, byte[] headerEnd, byte[] body) => Raw(description,
            A($"POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {body.Length}\r\n"),
            header, rawHeaderPart, headerEnd, A("\r\n"), body);
        var cookies = context.JourneyCookies;
        yield return Raw("raw: NUL in the request target", A("GET /connect/authorize?client_id=a"), [0], A("b HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        yield return Raw("raw: 0xFF 0xFE in the query", A("GET /connect/authorize?state="), [0xFF, 0xFE], A("&client_id=sample-service HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        yield return Raw("raw: an overlong '/' in the path", A("GET /login/"), [0xC0, 0xAF], A(" HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        yield return Raw("raw: valid UTF-8 then garbage in the path", A("GET /error/"), [0xC3, 0xA9, 0xFF], A(" HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        yield return Raw("raw: NUL in a header value", A("GET /connect/userinfo HTTP/1.1\r\nHost: localhost\r\nX-Fuzz: a"), [0], A("b\r\n\r\n"));
        yield return Raw("raw: 0xFF in a cookie", A("GET /login/x HTTP/1.1\r\nHost: localhost\r\nCookie: hub.browser="), [0xFF, 0xFE], A("\r\n\r\n"));
        yield return RawPost("raw: 0x80 in a Basic header", "/connect/token", A("Authorization: Basic "), [0x80, 0x81], A("\r\n"), A("grant_type=client_credentials"));
        yield return Raw("raw: a control character in the method", A("G"), [1], A("T / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        yield return Raw("raw: absolute-form target of another host", A("GET http://evil.example/connect/authorize HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        yield return Raw("raw: no Host header", A("GET /connect/authorize HTTP/1.1\r\n\r\n"));
        yield return Raw("raw: two different Content-Length headers", A("POST /connect/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\ntoken=abc"));
        yield return Raw("raw: a chunk size that is not hex", A("POST /connect/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"));
        yield return Raw("raw: a 40 KB header", A($"GET /connect/authorize HTTP/1.1\r\nHost: localhost\r\nX-Fuzz: {new string('h', 40 * 1024)}\r\n\r\n"));
        yield return RawPost("raw: raw 0xFF bytes in a form body", $"/registry/signin?journey={context.JourneyId}", A($"Cookie: {cookies}\r\n"), [], [],
            [.. A("Input.Username="), 0xFF, 0xFF, .. A("&Input.Password=x")]);
        yield return RawPost("raw: a raw NUL byte in a form body", "/connect/token", [], [], [], [.. A("grant_type=client_credentials&client_id=hub"), 0, .. A("admin&x=y")]);
        yield return Raw("raw: a 10 MB chunked form", A("POST /connect/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"),
            [.. Enumerable.Range(0, 160).SelectMany(_ => A($"10000\r\n{new string('a', 0x10000)}\r\n"))], A("0\r\n\r\n"));
    }

    private FuzzRequest Form(FormTarget target)
    {
        var method = Pick(target.Methods);
        var form = target.Base(context).Select(p => (Name: Uri.EscapeDataString(p.Name), Value: Uri.EscapeDataString(p.Value))).ToList();
        var segment = target.Segment switch { "journey" => context.JourneyId, { } fixedValue => fixedValue, null => null };
        var headers = new List<KeyValuePair<string, string>>();
        var notes = new List<string>();
        string? contentType = "application/x-www-form-urlencoded";
        byte[]? body = null;
        var cookies = target.Journey ? context.JourneyCookies : null;
        var authorization = Authorization(target.Credentials);

        var spoils = target.Spoils.Where(s => s switch
        {
            Spoil.Huge or Spoil.ConflictingDuplicate => target.Critical.Length > 0,
            Spoil.MissingRequired => target.Required.Length > 0,
            Spoil.WrongContentType => method == "POST",
            _ => true,
        }).ToArray();
        var spoil = Pick(spoils);
        switch (spoil)
        {
            case Spoil.ControlCharacter:
                notes.Add(Inject(form, Pick(ControlCharacters), "control character"));
                break;
            case Spoil.InvalidUtf8:
                notes.Add(Inject(form, Pick(InvalidUtf8), "invalid UTF-8"));
                break;
            case Spoil.Huge:
                {
                    var name = Pick(target.Critical);
                    var size = Huge(method);
                    form.RemoveAll(p => p.Name == name);
                    form.Insert(_random.Next(form.Count + 1), (name, Letters(size)));
                    notes.Add($"{name} of {size:N0} characters");
                    break;
                }
            case Spoil.ConflictingDuplicate:
                {
                    var name = Pick(target.Critical);
                    var value = form.FirstOrDefault(p => p.Name == name).Value ?? "x";
                    form.Insert(_random.Next(form.Count + 1), (name, value + "-other"));
                    notes.Add($"{name} twice, with different values");
                    break;
                }
            case Spoil.MissingRequired:
                {
                    var name = Pick(target.Required);
                    form.RemoveAll(p => p.Name == name);
                    notes.Add($"no {name}");
                    break;
                }
            case Spoil.WrongContentType:
                {
                    var (type, bytes) = WrongContent(form);
                    contentType = type;
                    body = bytes;
                    notes.Add($"content type {type ?? "(none)"}");
                    break;
                }
            case Spoil.BadCredentials:
                authorization = BadAuthorization(target.Credentials);
                notes.Add($"Authorization: {Shorten(authorization)}");
                break;
            case Spoil.OddMethod:
                method = Pick(OddMethods);
                notes.Add($"method {method}");
                break;
            case Spoil.BadPathSegment:
                segment = Pick(BadSegments);
                notes.Add($"path segment {segment}");
                break;
            case Spoil.BadCookies:
                cookies = Pick(new[] { "hub.browser=%00", "hub.browser=garbage", ".AspNetCore.Antiforgery.x=%FF%00", "hub.session=" + Letters(300) });
                notes.Add($"cookies {Shorten(cookies)}");
                break;
        }

        // Where the parameters go: the query for the methods that carry no body, either for the odd ones.
        var inQuery = body is null && (method is "GET" or "DELETE" or "OPTIONS" or "TRACE" || method != "POST" && _random.Next(2) == 0);

        // Noise on top, which alone would not make the request fail.
        for (var n = _random.Next(3); n > 0; n--)
        {
            switch (_random.Next(5))
            {
                case 0:
                    {
                        var count = _random.Next(50, inQuery ? 1000 : 1500);
                        for (var i = 0; i < count; i++)
                        {
                            form.Add(($"x{i}", Letters(_random.Next(1, 6))));
                        }
                        notes.Add($"{count} unknown parameters");
                        break;
                    }
                case 1:
                    {
                        var size = inQuery ? _random.Next(1000, 6000) : _random.Next(100_000, 1_000_000);
                        form.Add(("fuzz_padding", Letters(size)));
                        notes.Add($"an unknown parameter of {size:N0} characters");
                        break;
                    }
                case 2:
                    form.Add(("extra", "1"));
                    form.Add(("extra", "2"));
                    notes.Add("an unknown parameter twice");
                    break;
                case 3:
                    if (form.Count > 0)
                    {
                        var i = _random.Next(form.Count);
                        form[i] = (form[i].Name, form[i].Value + Pick(BadEscapes));
                        notes.Add($"a bad percent escape in {form[i].Name}");
                    }
                    break;
                default:
                    cookies = (cookies is null ? "" : cookies + "; ") + "hub.session=" + Letters(40) + "; junk=%E2%82";
                    notes.Add("garbage cookies");
                    break;
            }
        }

        var path = segment is null ? target.Path : target.Path.Replace("{segment}", segment, StringComparison.Ordinal);
        var encoded = string.Join('&', form.Select(p => p.Name + "=" + p.Value));
        if (inQuery)
        {
            path += encoded.Length == 0 ? "" : (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + encoded;
            contentType = null;
        }
        else
        {
            body ??= Encoding.ASCII.GetBytes(encoded);
        }
        if (cookies is not null)
        {
            headers.Add(new("Cookie", cookies));
        }
        if (authorization is not null)
        {
            headers.Add(new("Authorization", authorization));
        }
        // Mostly as a browser asks (the error page answers), sometimes as a script does (an OAuth error answers).
        if (target.Browser && _random.Next(4) > 0)
        {
            headers.Add(new("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        }
        return new FuzzRequest($"{target.Name} {method}: {string.Join(", ", notes)}", method, path, body, body is null ? null : contentType, headers);
    }

    private FuzzRequest Json(JsonTarget target)
    {
        var node = target.Base();
        var method = target.Method;
        var contentType = "application/json";
        var authorization = "Bearer " + context.AdminToken;
        string note;
        byte[] body;
        const string Mark = "ZZFUZZMARKZZ";
        switch (_random.Next(9))
        {
            case 0:
                {
                    // An escape that decodes to what no text field may hold: NUL, a control character, a lone surrogate.
                    var escape = Pick(new[] { "\\u0000", "\\u0001", "\\u001b", "\\u007f", "\\ud800", "\\udfff", "a\\u0000b", "\\udc00\\ud800" });
                    var where = MarkString(node, Mark);
                    body = Encoding.UTF8.GetBytes(node.ToJsonString().Replace(Mark, escape, StringComparison.Ordinal));
                    note = $"{escape} in {where}";
                    break;
                }
            case 1:
                {
                    var where = MarkString(node, Mark);
                    var bytes = Pick(new byte[][] { [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80] });
                    var text = Encoding.UTF8.GetBytes(node.ToJsonString());
                    var at = IndexOf(text, Encoding.ASCII.GetBytes(Mark));
                    body = [.. text[..at], .. bytes, .. text[(at + Mark.Length)..]];
                    note = $"raw bytes {Convert.ToHexString(bytes)} in {where}";
                    break;
                }
            case 2:
                {
                    var name = Pick(node.Select(p => p.Key).ToArray());
                    var wrong = WrongType(node[name]);
                    node[name] = wrong;
                    body = Encoding.UTF8.GetBytes(node.ToJsonString());
                    note = $"{name} as {wrong?.ToJsonString() ?? "null"}";
                    break;
                }
            case 3:
                {
                    var name = Pick(target.Required);
                    node.Remove(name);
                    body = Encoding.UTF8.GetBytes(node.ToJsonString());
                    note = $"no {name}";
                    break;
                }
            case 4:
                {
                    var text = node.ToJsonString();
                    (note, text) = _random.Next(8) switch
                    {
                        0 => ("truncated", text[..(_random.Next(1, text.Length - 1))]),
                        1 => ("trailing garbage", text + Pick(new[] { "}", "x", ",{}", "]" })),
                        2 => ("a trailing comma", text[..^1] + ",}"),
                        3 => ("a comment", "/* fuzz */" + text),
                        4 => ("single quotes", text.Replace('"', '\'')),
                        5 => ("nested 1,000 deep", new string('[', 1000) + new string(']', 1000)),
                        6 => ("a bare value", Pick(new[] { "", "null", "42", "\"text\"", "[]", "[{}]", "true", "{", "{\"a\":}", "NaN" })),
                        _ => ("a stray character", text.Insert(Pick(StructuralPositions(text)), Pick(new[] { "{", "}", "[", "]", ":", ",", "\"", "\\" }))),
                    };
                    body = Encoding.UTF8.GetBytes(text);
                    break;
                }
            case 5:
                {
                    // The same property twice: which value counts would depend on the parser.
                    var name = Pick(node.Select(p => p.Key).ToArray());
                    var text = node.ToJsonString();
                    var other = node[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? JsonValue.Create(v.GetValue<string>() + "-other").ToJsonString() : node[name]?.ToJsonString() ?? "null";
                    body = Encoding.UTF8.GetBytes("{" + JsonSerializer.Serialize(name) + ":" + other + "," + text[1..]);
                    note = $"{name} twice";
                    break;
                }
            case 6:
                {
                    var size = Pick(new[] { 70_000, 300_000, 1_000_000 });
                    node[Pick(node.Where(p => p.Value is JsonValue x && x.GetValueKind() == JsonValueKind.String).Select(p => p.Key).ToArray())] = Letters(size);
                    body = Encoding.UTF8.GetBytes(node.ToJsonString());
                    note = $"a string of {size:N0} characters";
                    break;
                }
            case 7:
                {
                    body = Encoding.UTF8.GetBytes(node.ToJsonString());
                    contentType = Pick(new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=bogus", null! });
                    note = $"content type {contentType ?? "(none)"}";
                    break;
                }
            default:
                body = Encoding.UTF8.GetBytes(node.ToJsonString());
                authorization = BadAuthorization(Credentials.Bearer);
                note = $"Authorization: {Shorten(authorization)}";
                break;
        }
        var headers = new List<KeyValuePair<string, string>>();
        if (authorization is not null)
        {
            headers.Add(new("Authorization", authorization));
        }
        return new FuzzRequest($"admin {target.Name}: {note}", method, target.Path, body, contentType, headers);
    }

    private FuzzRequest AdminPath((string Method, string Path, string Existing, bool Writes) target)
    {
        var method = target.Method;
        var segment = target.Existing.Length == 0 ? "" : "/" + target.Existing;
        var query = "";
        var authorization = "Bearer " + context.AdminToken;
        string note;
        switch (target.Writes ? _random.Next(2) : _random.Next(5))
        {
            case 0:
                segment = target.Existing.Length == 0 ? "/" + Pick(BadSegments) : Pick(BadSegments);
                note = $"path segment {segment}";
                break;
            case 1:
                segment = target.Existing.Length == 0 ? "" : Uri.EscapeDataString(target.Existing) + Pick(InvalidUtf8);
                query = "?page=" + Pick(ControlCharacters) + "&pageSize=" + Pick(InvalidUtf8);
                note = "invalid UTF-8 in the path, control character in the query";
                break;
            case 2:
                query = "?" + string.Join('&', Enumerable.Range(0, _random.Next(10, 600)).Select(i => $"q{i}={Pick(ControlCharacters)}"));
                note = "many parameters with control characters";
                break;
            case 3:
                method = Pick(new[] { "PATCH", "FOO", "TRACE" });
                note = $"method {method}";
                break;
            default:
                authorization = BadAuthorization(Credentials.Bearer);
                note = $"Authorization: {Shorten(authorization)}";
                break;
        }
        var path = target.Existing.Length == 0
            ? string.Format(CultureInfo.InvariantCulture, target.Path, segment)
            : string.Format(CultureInfo.InvariantCulture, target.Path, segment.TrimStart('/'));
        byte[]? body = method == "POST" ? Encoding.UTF8.GetBytes($"{{\"identityNumber\":\"{CitizenIdentityNumber}\",\"role\":\"x\"}}") : null;
        return new FuzzRequest($"admin {target.Method} {target.Path}: {note}", method, path + query, body, body is null ? null : "application/json",
            [new("Authorization", authorization)]);
    }

    private string? Authorization(Credentials credentials) => credentials switch
    {
        Credentials.ServiceBasic => BasicHeader(ServiceId, ServiceSecret),
        Credentials.AdminBasic => BasicHeader("hub-admin", Infrastructure.HubFactory.AdminSecret),
        Credentials.Bearer => "Bearer " + context.AccessToken,
        _ => null,
    };

    private string BadAuthorization(Credentials credentials)
    {
        string B64(params byte[] bytes) => Convert.ToBase64String(bytes);
        var token = credentials == Credentials.Bearer ? context.AccessToken : "x";
        return credentials == Credentials.Bearer
            ? Pick(new[]
            {
                "Bearer", "Bearer ", "Bearer !!!", "Bearer a.b.c", "Bearer " + token[..^4] + "AAAA", "Bearer " + token + ".x",
                "Bearer " + B64(0xFF, 0xFE, 0x00, 0x80), "Basic " + B64(0x61, 0x3A, 0x62), "Bearer %00", "Bearer " + Letters(6000),
                "Bearer " + token + " " + token, "Negotiate abc", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
            })
            : Pick(new[]
            {
                "Basic", "Basic ", "Basic !!!", "Basic " + B64("no-colon"u8.ToArray()), "Basic " + B64(0xFF, 0xFE, 0x3A, 0x80),
                BasicHeader("%00", ServiceSecret), BasicHeader(ServiceId, "%00"), BasicHeader(ServiceId + "%01", ServiceSecret),
                BasicHeader("%FF%FE", "x"), BasicHeader("%C0%AF", "%ED%A0%80"), "Basic " + B64(":"u8.ToArray()), "Basic " + Letters(5000),
                "Basic " + B64("%zz:%"u8.ToArray()), "Bearer " + context.AccessToken, "Basic  " + B64("a:b"u8.ToArray()) + " x",
            });
    }

    private static string BasicHeader(string id, string secret) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}"));

    private (string? Type, byte[] Body) WrongContent(List<(string Name, string Value)> form)
    {
        var pairs = form.Select(p => (Name: Uri.UnescapeDataString(p.Name), Value: Uri.UnescapeDataString(p.Value))).ToList();
        switch (_random.Next(9))
        {
            case 7:
                return ("application/x-www-form-urlencodedx", Encoding.ASCII.GetBytes(string.Join('&', form.Select(p => p.Name + "=" + p.Value))));
            case 8:
                return ("multipart/form-data", Encoding.ASCII.GetBytes("--x\r\n\r\n"));
            case 0:
                {
                    var json = new JsonObject();
                    foreach (var (name, value) in pairs)
                    {
                        json[name] = value;
                    }
                    return ("application/json", Encoding.UTF8.GetBytes(json.ToJsonString()));
                }
            case 1:
                {
                    var parts = new StringBuilder();
                    foreach (var (name, value) in pairs)
                    {
                        parts.Append(CultureInfo.InvariantCulture, $"--fuzz\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
                    }
                    return ("multipart/form-data; boundary=fuzz", Encoding.UTF8.GetBytes(parts.Append("--fuzz--\r\n").ToString()));
                }
            case 2:
                return ("text/plain", Encoding.ASCII.GetBytes(string.Join('&', form.Select(p => p.Name + "=" + p.Value))));
            case 3:
                return (null, Encoding.ASCII.GetBytes(string.Join('&', form.Select(p => p.Name + "=" + p.Value))));
            case 4:
                return ("application/x-www-form-urlencoded; charset=utf-16", Encoding.ASCII.GetBytes(string.Join('&', form.Select(p => p.Name + "=" + p.Value))));
            case 5:
                return ("application/x-www-form-urlencoded; charset=bogus-fuzz", Encoding.ASCII.GetBytes(string.Join('&', form.Select(p => p.Name + "=" + p.Value))));
            default:
                return ("multipart/form-data; boundary=fuzz", Encoding.ASCII.GetBytes("--fuzz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"));
        }
    }

    /// <summary>Inserts <paramref name="bad"/> into a random parameter (its value, sometimes its name), or adds one holding it.</summary>
    private string Inject(List<(string Name, string Value)> form, string bad, string what)
    {
        if (form.Count == 0 || _random.Next(6) == 0)
        {
            form.Insert(_random.Next(form.Count + 1), ("fuzz", "a" + bad));
            return $"{what} {bad} in an unknown parameter";
        }
        var i = _random.Next(form.Count);
        var (name, value) = form[i];
        if (_random.Next(5) == 0)
        {
            form[i] = (name.Insert(_random.Next(name.Length + 1), bad), value);
            return $"{what} {bad} in the name {name}";
        }
        form[i] = (name, InsertAtEscapeBoundary(value, bad));
        return $"{what} {bad} in {name}";
    }

    /// <summary>A position in an encoded value that does not split one of its percent escapes.</summary>
    private string InsertAtEscapeBoundary(string value, string bad)
    {
        var at = _random.Next(value.Length + 1);
        while (at > 0 && at < value.Length && (value[at - 1] == '%' || at > 1 && value[at - 2] == '%'))
        {
            at--;
        }
        return value.Insert(at, bad);
    }

    /// <summary>Appends <paramref name="mark"/> to a random string value or property name in the tree; returns where.</summary>
    private string MarkString(JsonObject root, string mark)
    {
        var places = new List<(string Where, Action Mark)>();
        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj.ToList())
                    {
                        Walk(child, path.Length == 0 ? key : $"{path}.{key}");
                        if (path.Length > 0)
                        {
                            places.Add(($"the property name {path}.{key}", () => { obj.Remove(key); obj[key + mark] = child; }));
                        }
                    }
                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        Walk(array[i], $"{path}[{i}]");
                    }
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    var text = value.GetValue<string>();
                    places.Add((path, () => value.ReplaceWith(JsonValue.Create(text.Insert(_random.Next(text.Length + 1), mark)))));
                    break;
            }
        }
        Walk(root, "");
        var (where, apply) = Pick(places.ToArray());
        apply();
        return where;
    }

    /// <summary>Just after a '{', ':' or ',' outside strings: any of the stray characters there breaks the document.</summary>
    private static int[] StructuralPositions(string json)
    {
        var positions = new List<int>();
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or ':' or ',')
            {
                positions.Add(i + 1);
            }
        }
        return [.. positions];
    }

    private JsonNode? WrongType(JsonNode? current) => current switch
    {
        JsonArray => Pick(new JsonNode?[] { "text", 5, new JsonObject(), new JsonArray(1, 2), new JsonArray((JsonNode?)null), new JsonArray(new JsonObject()) }),
        JsonObject => Pick(new JsonNode?[] { "text", new JsonArray(1), 5, new JsonObject { ["given_name"] = 5 }, new JsonObject { ["given_name"] = new JsonArray() } }),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => Pick(new JsonNode?[] { "yes", 1, new JsonObject(), new JsonArray() }),
        _ => Pick(new JsonNode?[] { 123, -1.5, true, new JsonObject(), new JsonArray("x"), 1e308 }),
    };

    private int Huge(string method) => method == "GET" ? _random.Next(9_000, 50_000) : Pick(new[] { 100_000, 400_000, 1_000_000 });

    private string Letters(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)('a' + _random.Next(26));
        }
        return new string(chars);
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Encode(IEnumerable<(string Name, string Value)> pairs) =>
        string.Join('&', pairs.Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value)));

    private static FuzzRequest Get(string description, string target) => new(description, "GET", target, null, null, []);

    private static FuzzRequest Post(string description, string target, string form, params (string Name, string Value)[] headers) =>
        new(description, "POST", target, Encoding.ASCII.GetBytes(form), "application/x-www-form-urlencoded", [.. headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value))]);

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + $"… ({text.Length:N0} characters)";

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
