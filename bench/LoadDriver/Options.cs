using System.Globalization;
using System.Net;

namespace LoadDriver;

internal enum ServerKind
{
    Hub,
    Peer,
}

/// <summary>How the introspection scenario obtains the token it introspects.</summary>
internal enum TokenSource
{
    Login,
    ClientCredentials,
}

/// <summary>Everything one run needs, after defaults for the server were applied. Never printed with its secrets.</summary>
internal sealed record DriverOptions
{
    public const int DefaultMaxRequests = 2_000_000;
    public const string DefaultClientId = "bench-web";
    public const string DefaultClientSecret = "bench-web-secret-0123456789abcdefghijklmnop";
    public const string DefaultRedirectUri = "http://localhost:5090/signin-oidc";
    public const string DefaultPostLogoutRedirectUri = "http://localhost:5090/signout-callback-oidc";

    /// <summary>sso: the second service, on another host name (so, at the hub, another sector and another sub).</summary>
    public const string DefaultSecondClientId = "bench-sso";
    public const string DefaultSecondClientSecret = "bench-sso-secret-0123456789abcdefghijklmnop";
    public const string DefaultSecondRedirectUri = "http://127.0.0.1:5091/signin-oidc";

    /// <summary>sso: no offline_access, so that the peer needs no prompt=consent (which would force its consent interaction).</summary>
    public const string DefaultSsoScope = "openid profile email";
    public const string DefaultUsername = "bench.user";
    public const string DefaultPassword = "Bench-Passw0rd!";
    public const string DefaultLoginScope = "openid profile email offline_access";
    public const string DefaultUpstreamPerson = "an.nguyen";
    public const string DefaultFederatedSource = "mock-bank";
    public const string RegistrySource = "registry";

    /// <summary>What login-mfa asks for: eIDAS substantial, which the registry reaches with a password and a code.</summary>
    public const string SecondFactorAcr = "eidas2";

    public required ServerKind Server { get; init; }
    public required Uri BaseUrl { get; init; }
    public required string Scenario { get; init; }
    public int Concurrency { get; init; } = 8;
    public double WarmupSeconds { get; init; } = 5;
    public double Seconds { get; init; } = 10;
    public string? OutPath { get; init; }

    /// <summary>Operations per second, paced open-loop from a shared schedule; null: every worker loops flat out.</summary>
    public double? Rate { get; init; }

    /// <summary>The server's processes (one, or several instances whose CPU is added up); empty when not measured.</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    public int? UpstreamPid { get; init; }
    public long MaxRequests { get; init; } = DefaultMaxRequests;
    public double TimeoutSeconds { get; init; } = 30;
    public required string ClientId { get; init; }
    public required string ClientSecret { get; init; }
    public required string Username { get; init; }
    public required string Password { get; init; }
    public required Uri RedirectUri { get; init; }

    /// <summary>logout: the registered post_logout_redirect_uri, where the end-session must end (never requested).</summary>
    public required Uri PostLogoutRedirectUri { get; init; }

    /// <summary>sso: the second service, logged in to from the session of a login at the first one.</summary>
    public required string SecondClientId { get; init; }
    public required string SecondClientSecret { get; init; }
    public required Uri SecondRedirectUri { get; init; }

    /// <summary>The scope of the scenario's grant: client_credentials' scope, or the login's.</summary>
    public required string Scope { get; init; }

    public string? IdpHint { get; init; }
    public string? Prompt { get; init; }
    public string? UiLocales { get; init; }
    public required string UpstreamPerson { get; init; }
    public TokenSource TokenSource { get; init; } = TokenSource.Login;

    /// <summary><c>acr_values</c> sent to authorize; the ID token's <c>acr</c> must then be exactly this.</summary>
    public string? AcrValues { get; init; }

    /// <summary>login-mfa: the file of bench people with their authenticator secrets (<see cref="TotpAccounts"/>).</summary>
    public string? TotpAccountsPath { get; init; }

    /// <summary>data-introspection: the data provider's resource URI, sent with the login and the token requests.</summary>
    public string? Resource { get; init; }

    /// <summary>data-introspection: the provider's credentials, with which it introspects the token it is sent.</summary>
    public string? ProviderId { get; init; }
    public string? ProviderSecret { get; init; }

    /// <summary>The label in the output when it is not just "hub" or "peer" (e.g. "hub-x2": the hub, two instances).</summary>
    public string? ServerLabel { get; init; }

    public string ServerName => ServerLabel ?? (Server == ServerKind.Hub ? "hub" : "peer");
}

internal sealed class UsageException(string message) : Exception(message);

/// <summary>The scenario names the driver knows.</summary>
internal static class ScenarioNames
{
    public const string Discovery = "discovery";
    public const string Jwks = "jwks";
    public const string ClientCredentials = "client-credentials";
    public const string Refresh = "refresh";
    public const string Login = "login";
    public const string LoginMfa = "login-mfa";
    public const string FederatedLogin = "federated-login";
    public const string Introspection = "introspection";
    public const string DataIntrospection = "data-introspection";
    public const string UserInfo = "userinfo";
    public const string Sso = "sso";
    public const string Logout = "logout";

    public static IReadOnlyList<string> All { get; } =
        [Discovery, Jwks, ClientCredentials, Refresh, Login, LoginMfa, FederatedLogin, Introspection, DataIntrospection, UserInfo, Sso, Logout];
}

/// <summary>
/// <c>--name value</c> or <c>--name=value</c>; every option at most once; unknown options are refused so that a
/// typo never silently benchmarks the defaults.
/// </summary>
internal static class OptionParser
{
    public const string Usage = """
        Usage: LoadDriver --server hub|peer[-LABEL] --base-url URL --scenario NAME [options]
               LoadDriver --self-test | --help

        Scenarios: discovery, jwks, client-credentials, refresh, login, login-mfa (hub only), federated-login, introspection,
                   data-introspection (hub only), userinfo, sso, logout

        --server hub-x2 (hub-LABEL, peer-LABEL): that server's defaults, labelled so in the output.

        Run:
          --concurrency N         concurrent workers, each looping (default 8)
          --rate R                open loop: R operations per second in all, from a shared schedule (slot i starts at
                                  t0 + i/R; a worker takes the next slot, waits for its time, runs one operation).
                                  Latency counts from the slot's time, waiting for a free worker included. Give enough
                                  workers to sustain R. Without it: closed loop, each worker flat out (default)
          --warmup-seconds W      warm-up, results discarded (default 5)
          --seconds S             measured window (default 10)
          --max-requests M        bound on HTTP requests sent in the whole run, set-up included (default 2000000)
          --timeout-seconds T     per HTTP request (default 30)
          --out FILE              the full result as JSON (schema: bench/LoadDriver/README.md)
          --server-pid PID[,PID]  measure this process's CPU and memory (the server itself, not a launcher); several
                                  instances: CPU and current RSS added up, peak RSS the largest instance's
          --upstream-pid PID      same for the upstream identity source (federated-login)

        Scenario (defaults in brackets; hub / peer where they differ):
          --client-id ID          [bench-web]
          --client-secret SECRET  [bench-web-secret-0123456789abcdefghijklmnop]   (client_secret_basic)
          --username NAME         [bench.user]
          --password PASSWORD     [Bench-Passw0rd!]
          --redirect-uri URI      [http://localhost:5090/signin-oidc]   (never requested: the code is read from the Location)
          --scope SCOPE           client-credentials: [empty / api]; sso: [openid profile email];
                                  others: [openid profile email offline_access]
          --idp-hint ID           federated-login and logout: [mock-bank]; otherwise hub [registry], peer [none]; "" sends none
          --prompt VALUE          [none / consent; sso: none]   (node-oidc-provider drops offline_access without prompt=consent)
          --post-logout-redirect-uri URI   logout: [http://localhost:5090/signout-callback-oidc]   (never requested)
          --second-client-id ID, --second-client-secret SECRET, --second-redirect-uri URI
                                  sso: the second service [bench-sso, bench-sso-secret-0123456789abcdefghijklmnop,
                                  http://127.0.0.1:5091/signin-oidc]
          --ui-locales TAGS       [en / none]
          --upstream-person NAME  federated-login: the mock source's person [an.nguyen]
          --token-source login|client-credentials   introspection: how the introspected token is obtained [login]
          --acr-values VALUES     sent to authorize; the id_token's acr must equal it. login-mfa: [eidas2]; others: [none]
          --resource URI, --data-scope NAME, --provider-id ID, --provider-secret SECRET
                                  data-introspection (required): a data provider's resource and one of its scopes, asked
                                  for at login (the scope is added to the login's); the provider introspects the token
                                  issued for it
          --totp-accounts FILE    login-mfa (required): the bench people, one per line, "username" or "username secret
                                  last-step"; those without a secret are enrolled first (untimed, on the enrolment page),
                                  and the file is written back with the secrets and the last time step sent

        Only loopback base URLs are accepted (127.0.0.0/8, ::1, localhost), and only loopback redirects are followed.
        Exit codes: 0 no errors, 3 errors during the measured window (results still written), 2 usage, 1 failure.
        """;

    private static readonly HashSet<string> Known =
    [
        "server", "base-url", "scenario", "concurrency", "rate", "warmup-seconds", "seconds", "out", "server-pid", "upstream-pid",
        "max-requests", "timeout-seconds", "client-id", "client-secret", "username", "password", "redirect-uri", "scope",
        "idp-hint", "prompt", "ui-locales", "upstream-person", "token-source", "acr-values", "totp-accounts",
        "post-logout-redirect-uri", "second-client-id", "second-client-secret", "second-redirect-uri",
        "resource", "data-scope", "provider-id", "provider-secret",
    ];

    public static DriverOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }
            string name, value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                name = arg[2..equals];
                value = arg[(equals + 1)..];
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"--{name} needs a value.");
                }
                value = args[++i];
            }
            if (!Known.Contains(name))
            {
                throw new UsageException($"Unknown option --{name}.");
            }
            if (!values.TryAdd(name, value))
            {
                throw new UsageException($"--{name} is given twice.");
            }
        }

        var (server, serverLabel) = ParseServer(Required(values, "server"));
        var baseUrl = ParseLoopbackUrl(Required(values, "base-url"), "--base-url");
        var scenario = Required(values, "scenario");
        if (!ScenarioNames.All.Contains(scenario))
        {
            throw new UsageException($"Unknown scenario '{scenario}'. Known: {string.Join(", ", ScenarioNames.All)}.");
        }
        var hub = server == ServerKind.Hub;
        var mfa = scenario == ScenarioNames.LoginMfa;
        if (mfa && !hub)
        {
            throw new UsageException("login-mfa is the hub's: node-oidc-provider has no second factor here (bench/README.md compares it with the peer's login).");
        }
        var totpAccounts = Optional(values, "totp-accounts");
        if (mfa != (totpAccounts is not null))
        {
            throw new UsageException(mfa ? "login-mfa needs --totp-accounts FILE." : "--totp-accounts is for login-mfa only.");
        }
        if (totpAccounts is { Length: 0 })
        {
            throw new UsageException("--totp-accounts must not be empty.");
        }
        var data = scenario == ScenarioNames.DataIntrospection;
        if (data && !hub)
        {
            throw new UsageException("data-introspection is the hub's: the peer registers no data provider (bench/README.md).");
        }
        foreach (var name in new[] { "resource", "data-scope", "provider-id", "provider-secret" })
        {
            if (data != values.ContainsKey(name))
            {
                throw new UsageException(data ? $"data-introspection needs --{name}." : $"--{name} is for data-introspection only.");
            }
        }
        var sso = scenario == ScenarioNames.Sso;
        var defaultScope = scenario == ScenarioNames.ClientCredentials ? (hub ? "" : "api") : sso ? DriverOptions.DefaultSsoScope
            : data ? DriverOptions.DefaultLoginScope + " " + NonEmpty(values, "data-scope", "") : DriverOptions.DefaultLoginScope;
        // Both servers sign in at the mock source when asked for it by idp_hint (the peer as started by bench/run.sh).
        string? defaultHint = scenario is ScenarioNames.FederatedLogin or ScenarioNames.Logout ? DriverOptions.DefaultFederatedSource
            : hub ? DriverOptions.RegistrySource : null;
        if (values.ContainsKey("rate") && scenario == ScenarioNames.Logout)
        {
            throw new UsageException("logout runs in rounds (a login before each logout, untimed): --rate does not apply.");
        }

        var options = new DriverOptions
        {
            Server = server,
            ServerLabel = serverLabel,
            BaseUrl = baseUrl,
            Scenario = scenario,
            Concurrency = Int(values, "concurrency", 8, 1, 10_000),
            Rate = values.ContainsKey("rate") ? Number(values, "rate", 0, 0.01, 1_000_000) : null,
            WarmupSeconds = Number(values, "warmup-seconds", 5, 0, 3600),
            Seconds = Number(values, "seconds", 10, 0.1, 3600),
            OutPath = Optional(values, "out"),
            ServerPids = values.TryGetValue("server-pid", out var serverPids) ? Pids(serverPids) : [],
            UpstreamPid = values.ContainsKey("upstream-pid") ? Int(values, "upstream-pid", 0, 1, int.MaxValue) : null,
            MaxRequests = Long(values, "max-requests", DriverOptions.DefaultMaxRequests, 1, long.MaxValue),
            TimeoutSeconds = Number(values, "timeout-seconds", 30, 0.1, 600),
            ClientId = NonEmpty(values, "client-id", DriverOptions.DefaultClientId),
            ClientSecret = NonEmpty(values, "client-secret", DriverOptions.DefaultClientSecret),
            Username = NonEmpty(values, "username", DriverOptions.DefaultUsername),
            Password = NonEmpty(values, "password", DriverOptions.DefaultPassword),
            RedirectUri = AbsoluteHttp(values, "redirect-uri", DriverOptions.DefaultRedirectUri),
            PostLogoutRedirectUri = AbsoluteHttp(values, "post-logout-redirect-uri", DriverOptions.DefaultPostLogoutRedirectUri),
            SecondClientId = NonEmpty(values, "second-client-id", DriverOptions.DefaultSecondClientId),
            SecondClientSecret = NonEmpty(values, "second-client-secret", DriverOptions.DefaultSecondClientSecret),
            SecondRedirectUri = AbsoluteHttp(values, "second-redirect-uri", DriverOptions.DefaultSecondRedirectUri),
            Scope = Optional(values, "scope") ?? defaultScope,
            IdpHint = EmptyIsNone(Optional(values, "idp-hint") ?? defaultHint),
            Prompt = EmptyIsNone(Optional(values, "prompt") ?? (hub || sso ? null : "consent")),
            UiLocales = EmptyIsNone(Optional(values, "ui-locales") ?? (hub ? "en" : null)),
            UpstreamPerson = NonEmpty(values, "upstream-person", DriverOptions.DefaultUpstreamPerson),
            TokenSource = Optional(values, "token-source") switch
            {
                null or "login" => TokenSource.Login,
                "client-credentials" => TokenSource.ClientCredentials,
                var other => throw new UsageException($"--token-source must be login or client-credentials, not '{other}'."),
            },
            AcrValues = EmptyIsNone(Optional(values, "acr-values") ?? (mfa ? DriverOptions.SecondFactorAcr : null)),
            TotpAccountsPath = totpAccounts,
            Resource = data ? AbsoluteHttp(values, "resource", "").OriginalString : null,
            ProviderId = data ? NonEmpty(values, "provider-id", "") : null,
            ProviderSecret = data ? NonEmpty(values, "provider-secret", "") : null,
        };
        if (options.ServerPids.Contains(Environment.ProcessId))
        {
            throw new UsageException("--server-pid is the driver's own process id.");
        }
        return options;
    }

    /// <summary>"hub", "peer", or either with a label: "hub-x2" is the hub (its defaults), labelled "hub-x2".</summary>
    private static (ServerKind Kind, string? Label) ParseServer(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var kind = (dash < 0 ? text : text[..dash]) switch
        {
            "hub" => ServerKind.Hub,
            "peer" => ServerKind.Peer,
            _ => throw new UsageException($"--server must be hub or peer, optionally with a label (hub-x2), not '{text}'."),
        };
        if (dash < 0)
        {
            return (kind, null);
        }
        var label = text[(dash + 1)..];
        return label.Length is > 0 and <= 32 && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            ? (kind, text)
            : throw new UsageException($"--server {text}: the label after '-' is 1 to 32 lower-case letters, digits or '-'.");
    }

    /// <summary>One process id, or several separated by commas (instances of one server), each at most once.</summary>
    private static List<int> Pids(string text)
    {
        var pids = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid < 1 || pids.Contains(pid))
            {
                throw new UsageException($"--server-pid must be one process id or several, comma-separated and distinct, not '{text}'.");
            }
            pids.Add(pid);
        }
        return pids;
    }

    /// <summary>An absolute http(s) URL whose host is loopback; anything else is refused.</summary>
    public static Uri ParseLoopbackUrl(string text, string what)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"{what} must be an absolute http(s) URL, not '{text}'.");
        }
        if (!Loopback.IsLoopback(uri))
        {
            throw new UsageException($"{what} '{text}' is not on loopback: the driver only loads 127.0.0.0/8, ::1 or localhost.");
        }
        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new UsageException($"{what} must not carry user information, a query or a fragment.");
        }
        return uri;
    }

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new UsageException($"--{name} is required.");

    private static string? Optional(Dictionary<string, string> values, string name) => values.GetValueOrDefault(name);

    private static string NonEmpty(Dictionary<string, string> values, string name, string fallback) =>
        values.TryGetValue(name, out var value) ? (value.Length > 0 ? value : throw new UsageException($"--{name} must not be empty.")) : fallback;

    private static Uri AbsoluteHttp(Dictionary<string, string> values, string name, string fallback)
    {
        var text = Optional(values, name) ?? fallback;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new UsageException($"--{name} must be an absolute http(s) URI, not '{text}'.");
    }

    private static string? EmptyIsNone(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static int Int(Dictionary<string, string> values, string name, int fallback, int min, int max) =>
        (int)Long(values, name, fallback, min, max);

    private static long Long(Dictionary<string, string> values, string name, long fallback, long min, long max)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }
        var normalized = text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        return long.TryParse(normalized, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be an integer from {min} to {max}, not '{text}'.");
    }

    private static double Number(Dictionary<string, string> values, string name, double fallback, double min, double max)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
    }
}

/// <summary>The loopback guard: the driver sends nothing anywhere else, whatever a server redirects to.</summary>
internal static class Loopback
{
    public static bool IsLoopback(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return false;
        }
        var host = uri.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        // 127.0.0.0/8 and ::1. IPAddress.Parse also accepts forms such as "2130706433" or "127.1"; both are loopback
        // by value, which is what a socket would connect to.
        return IPAddress.IsLoopback(address);
    }
}
