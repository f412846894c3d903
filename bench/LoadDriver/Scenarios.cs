namespace LoadDriver;

/// <summary>One concurrent worker: its loop, and the tokens it obtained once (refresh, introspection, userinfo).</summary>
internal sealed class Worker(int id)
{
    public int Id { get; } = id;
    public TokenSet? Tokens { get; set; }

    /// <summary>sso and logout: the cookies of the browser whose session the operation uses.</summary>
    public CookieJar? Jar { get; set; }

    /// <summary>login-mfa: the bench person this worker holds for its next login.</summary>
    public TotpAccount? Account { get; set; }
}

/// <summary>
/// A scenario: an optional per-worker set-up (before the warm-up, untimed), an optional untimed preparation before each
/// operation (obtaining a token again after a failure lost it), and the timed operation itself.
/// </summary>
internal abstract class Scenario(Oidc oidc, RunState state)
{
    protected Oidc Oidc { get; } = oidc;
    protected RunState State { get; } = state;

    /// <summary>What one operation is, for the output.</summary>
    public abstract string Operation { get; }

    /// <summary>Once, before the workers' set-up (untimed): what the whole run needs first.</summary>
    public virtual Task InitializeAsync(int concurrency, TextWriter log, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Once, after the last operation ended: what must outlive the run.</summary>
    public virtual void Finish()
    {
    }

    /// <summary>
    /// Whether the workers run in rounds (see Runner): for an operation whose untimed preparation is a whole login each
    /// time, so that neither its time nor the server's CPU for it is counted as the operation's.
    /// </summary>
    public virtual bool InRounds => false;

    public virtual Task SetupAsync(Worker worker, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task PrepareAsync(Worker worker, CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract Task RunAsync(Worker worker, CancellationToken cancellationToken);

    /// <summary>After a failed operation: forget what may no longer be valid.</summary>
    public virtual void OnFailure(Worker worker)
    {
    }

    public static Scenario Create(DriverOptions options, Oidc oidc, RunState state) => options.Scenario switch
    {
        ScenarioNames.Discovery => new DocumentScenario(oidc, state, oidc.Endpoints.Discovery, "GET /.well-known/openid-configuration, body read, not parsed"),
        ScenarioNames.Jwks => new DocumentScenario(oidc, state, oidc.Endpoints.Jwks, $"GET {oidc.Endpoints.Jwks.AbsolutePath} (jwks_uri of discovery), body read, not parsed"),
        ScenarioNames.ClientCredentials => new ClientCredentialsScenario(oidc, state),
        ScenarioNames.Refresh => new RefreshScenario(oidc, state, options),
        ScenarioNames.Login or ScenarioNames.FederatedLogin => new LoginScenario(oidc, state, options),
        ScenarioNames.LoginMfa => new LoginMfaScenario(oidc, state, options, TotpAccounts.Load(options.TotpAccountsPath!)),
        ScenarioNames.Introspection => new IntrospectionScenario(oidc, state, options),
        ScenarioNames.DataIntrospection => new DataIntrospectionScenario(oidc, state, options),
        ScenarioNames.UserInfo => new UserInfoScenario(oidc, state, options),
        ScenarioNames.Sso => new SsoScenario(oidc, state, options),
        ScenarioNames.Logout => new LogoutScenario(oidc, state, options),
        _ => throw new UsageException($"Unknown scenario '{options.Scenario}'."),
    };
}

internal sealed class DocumentScenario(Oidc oidc, RunState state, Uri uri, string operation) : Scenario(oidc, state)
{
    public override string Operation => operation;

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) => Oidc.FetchDocumentAsync(uri, cancellationToken);
}

internal sealed class ClientCredentialsScenario(Oidc oidc, RunState state) : Scenario(oidc, state)
{
    public override string Operation => "POST token, grant_type=client_credentials, client_secret_basic; access_token required";

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) => Oidc.ClientCredentialsAsync(cancellationToken);
}

internal sealed class LoginScenario(Oidc oidc, RunState state, DriverOptions options) : Scenario(oidc, state)
{
    public override string Operation =>
        "one full login in a fresh cookie jar (connections reused): authorize (PKCE S256, state, nonce) → redirects and forms"
        + (options.Scenario == ScenarioNames.FederatedLogin ? " (the server, the upstream source's page, the server's callback)" : " (sign-in form)")
        + " → code → POST token (authorization_code, client_secret_basic) → GET userinfo; state, nonce, id_token and access_token checked";

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) => Oidc.LoginAsync(options.IdpHint, cancellationToken);
}

/// <summary>
/// The registry login with a second factor: a service asks <c>acr_values=eidas2</c>, the person gives the password, then
/// the code of their authenticator app, which the driver computes (RFC 6238) for a bench person of <c>--totp-accounts</c>
/// that no other worker holds, for a time step never sent before for that person (the hub refuses a replayed step). The
/// people without a secret yet are enrolled first, untimed, through the enrolment page, as a person would.
/// </summary>
internal sealed class LoginMfaScenario(Oidc oidc, RunState state, DriverOptions options, TotpAccounts accounts) : Scenario(oidc, state)
{
    public override string Operation =>
        $"one full login in a fresh cookie jar (connections reused): authorize (PKCE S256, state, nonce, acr_values={options.AcrValues}) → sign-in form"
        + " → second-factor form with the authenticator code (computed by the driver, RFC 6238, a time step never sent before for that person;"
        + $" {accounts.All.Count} bench people in turn) → code → POST token (authorization_code, client_secret_basic) → GET userinfo;"
        + $" state, nonce, id_token (acr={options.AcrValues}, amr with otp and mfa) and access_token checked";

    public override async Task InitializeAsync(int concurrency, TextWriter log, CancellationToken cancellationToken)
    {
        var toEnrol = new System.Collections.Concurrent.ConcurrentQueue<TotpAccount>(accounts.All.Where(a => a.Secret is null));
        if (!toEnrol.IsEmpty)
        {
            var count = toEnrol.Count;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var failed = 0;
            await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, count)).Select(async _ =>
            {
                while (toEnrol.TryDequeue(out var account))
                {
                    try
                    {
                        await Oidc.LoginAsync(options.IdpHint, account, cancellationToken);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        // Left out of this run; a later run tries again.
                        account.Forget();
                        Interlocked.Increment(ref failed);
                        State.RecordSetupFailure(exception);
                    }
                }
            }));
            accounts.Save();
            State.Add("totpAccountsEnrolled", count - failed);
            await log.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{options.Scenario} hub: enrolled {count - failed} of {count} bench people's authenticator apps in {clock.Elapsed.TotalSeconds:0.0} s (untimed)"));
        }
        if (!accounts.All.Any(a => a.Secret is not null))
        {
            throw new BenchException("login-mfa: no bench person has an authenticator app", string.Join(" | ", State.FirstErrors()));
        }
    }

    public override async Task PrepareAsync(Worker worker, CancellationToken cancellationToken)
    {
        if (worker.Account is not null)
        {
            return;
        }
        var (account, waited) = await accounts.AcquireAsync(() => DateTimeOffset.UtcNow, cancellationToken);
        if (waited > TimeSpan.Zero)
        {
            // Untimed, but a wait lowers the throughput: more bench people (MFA_PEOPLE) avoid it.
            State.Count("totpWaits");
            State.Add("totpWaitMs", (long)waited.TotalMilliseconds);
        }
        worker.Account = account;
    }

    public override async Task RunAsync(Worker worker, CancellationToken cancellationToken)
    {
        var account = worker.Account!;
        try
        {
            await Oidc.LoginAsync(options.IdpHint, account, cancellationToken);
        }
        finally
        {
            worker.Account = null;
            accounts.Release(account);
        }
    }

    public override void Finish() => accounts.Save();
}

/// <summary>Each worker logs in once, then refreshes in a loop, always with the refresh token it received last.</summary>
internal sealed class RefreshScenario(Oidc oidc, RunState state, DriverOptions options) : Scenario(oidc, state)
{
    public override string Operation => "POST token, grant_type=refresh_token with the worker's latest refresh token, client_secret_basic; the rotated one replaces it";

    public override Task SetupAsync(Worker worker, CancellationToken cancellationToken) => LoginAsync(worker, cancellationToken);

    public override async Task PrepareAsync(Worker worker, CancellationToken cancellationToken)
    {
        if (worker.Tokens?.RefreshToken is null)
        {
            State.Count("reLoginsAfterFailure");
            await LoginAsync(worker, cancellationToken);
        }
    }

    public override async Task RunAsync(Worker worker, CancellationToken cancellationToken)
    {
        var current = worker.Tokens!.RefreshToken!;
        var tokens = await Oidc.RefreshAsync(current, cancellationToken);
        if (tokens.RefreshToken is null || tokens.RefreshToken == current)
        {
            // Not an error (rotation is the server's choice), but the comparison must say so.
            State.Count("refreshNotRotated");
            worker.Tokens = tokens with { RefreshToken = current };
        }
        else
        {
            worker.Tokens = tokens;
        }
    }

    /// <summary>A failed refresh may have spent the token (rotation) or revoked its chain: log in again before the next.</summary>
    public override void OnFailure(Worker worker) => worker.Tokens = null;

    private async Task LoginAsync(Worker worker, CancellationToken cancellationToken)
    {
        var tokens = await Oidc.LoginAsync(options.IdpHint, cancellationToken);
        worker.Tokens = tokens.RefreshToken is not null ? tokens
            : throw new BenchException("the login returned no refresh_token",
                "offline_access in the scope and refresh_token among the client's grant types? (node-oidc-provider also needs prompt=consent)");
    }
}

/// <summary>Each worker obtains one access token (by a login, or client_credentials), then introspects it in a loop.</summary>
internal sealed class IntrospectionScenario(Oidc oidc, RunState state, DriverOptions options) : TokenReusingScenario(oidc, state)
{
    public override string Operation => "POST introspection, token=<access token of the same client, obtained once per worker by "
        + (options.TokenSource == TokenSource.Login ? "a login" : "client_credentials") + ">, client_secret_basic; active=true required";

    public override async Task SetupAsync(Worker worker, CancellationToken cancellationToken) =>
        worker.Tokens = options.TokenSource == TokenSource.Login
            ? await Oidc.LoginAsync(options.IdpHint, cancellationToken)
            : await Oidc.ClientCredentialsAsync(cancellationToken);

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) => Oidc.IntrospectAsync(worker.Tokens!.AccessToken, cancellationToken);
}

/// <summary>
/// Each worker logs in once with the data provider's scope and resource, obtains the provider's access token by a
/// refresh naming the resource, and the provider introspects it in a loop: each answer is a release the hub records
/// (a row and a data.released audit event). The token lives 5 minutes: it is obtained again, untimed, after 4.
/// </summary>
internal sealed class DataIntrospectionScenario(Oidc oidc, RunState state, DriverOptions options) : TokenReusingScenario(oidc, state)
{
    private static readonly TimeSpan Renewal = TimeSpan.FromMinutes(4);
    private readonly Dictionary<int, DateTimeOffset> _obtained = [];

    public override string Operation => "POST introspection by the data provider (its own client_secret_basic), token=<access token for its resource, "
        + "obtained by a refresh with resource= after one login per worker>; active=true required; each answer writes a release and its audit event";

    public override async Task SetupAsync(Worker worker, CancellationToken cancellationToken)
    {
        var login = await Oidc.LoginAsync(options.IdpHint, cancellationToken);
        worker.Tokens = login.RefreshToken is not null ? login : throw new BenchException("the login returned no refresh_token", "offline_access in --scope?");
        await RenewAsync(worker, cancellationToken);
    }

    public override async Task PrepareAsync(Worker worker, CancellationToken cancellationToken)
    {
        if (worker.Tokens is null)
        {
            await base.PrepareAsync(worker, cancellationToken);
        }
        else if (DateTimeOffset.UtcNow - Obtained(worker) > Renewal)
        {
            State.Count("providerTokenRenewals");
            await RenewAsync(worker, cancellationToken);
        }
    }

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) =>
        Oidc.IntrospectAsync(worker.Tokens!.AccessToken, cancellationToken, Oidc.Provider);

    public override void OnFailure(Worker worker) => worker.Tokens = null;

    private async Task RenewAsync(Worker worker, CancellationToken cancellationToken)
    {
        var tokens = await Oidc.RefreshForResourceAsync(worker.Tokens!.RefreshToken!, options.Resource!, cancellationToken);
        worker.Tokens = tokens.RefreshToken is null ? tokens with { RefreshToken = worker.Tokens.RefreshToken } : tokens;
        lock (_obtained)
        {
            _obtained[worker.Id] = DateTimeOffset.UtcNow;
        }
    }

    private DateTimeOffset Obtained(Worker worker)
    {
        lock (_obtained)
        {
            return _obtained.GetValueOrDefault(worker.Id);
        }
    }
}

/// <summary>Each worker logs in once, then calls userinfo with that access token in a loop.</summary>
internal sealed class UserInfoScenario(Oidc oidc, RunState state, DriverOptions options) : TokenReusingScenario(oidc, state)
{
    public override string Operation => "GET userinfo with the access token of one login per worker (Bearer); a JSON object with sub required";

    public override async Task SetupAsync(Worker worker, CancellationToken cancellationToken) =>
        worker.Tokens = await Oidc.LoginAsync(options.IdpHint, cancellationToken);

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) => Oidc.UserInfoAsync(worker.Tokens!.AccessToken, cancellationToken);
}

/// <summary>
/// Single sign-on at a second service: each worker logs in once at the first service (untimed) and keeps that
/// browser's cookies; each operation is the second service's login in that browser, which the session must carry
/// without a page (at the hub, the second service is of another sector, so its sub differs).
/// </summary>
internal sealed class SsoScenario(Oidc oidc, RunState state, DriverOptions options) : Scenario(oidc, state)
{
    public override string Operation =>
        $"a login at a second service ({options.SecondClientId}) in the cookie jar of one login per worker at {options.ClientId}: authorize (PKCE S256, state, nonce)"
        + " → redirects only (no page: the session carries it) → code → POST token (authorization_code, client_secret_basic) → GET userinfo; state, nonce, id_token and access_token checked";

    public override async Task SetupAsync(Worker worker, CancellationToken cancellationToken)
    {
        var jar = new CookieJar();
        await Oidc.LoginAsync(jar, Oidc.Client, options.IdpHint, null, singleSignOn: false, cancellationToken);
        worker.Jar = jar;
    }

    public override async Task PrepareAsync(Worker worker, CancellationToken cancellationToken)
    {
        if (worker.Jar is null)
        {
            State.Count("sessionsOpenedAgainAfterFailure");
            await SetupAsync(worker, cancellationToken);
        }
    }

    public override Task RunAsync(Worker worker, CancellationToken cancellationToken) =>
        Oidc.LoginAsync(worker.Jar!, Oidc.SecondClient, options.IdpHint, null, singleSignOn: true, cancellationToken);

    /// <summary>The session may be gone: open another before the next operation.</summary>
    public override void OnFailure(Worker worker) => worker.Jar = null;
}

/// <summary>
/// RP-initiated logout, in rounds: before each operation the worker logs in (untimed, through the source of
/// --idp-hint) and keeps the browser and the id_token; the operation is the end-session with id_token_hint to the
/// post_logout_redirect_uri.
/// </summary>
internal sealed class LogoutScenario(Oidc oidc, RunState state, DriverOptions options) : Scenario(oidc, state)
{
    public override string Operation =>
        "RP-initiated logout of the session of a login just before (untimed, in a fresh cookie jar"
        + (options.IdpHint is { } hint ? $", idp_hint={hint}" : "") + "): GET end_session (id_token_hint, post_logout_redirect_uri, state)"
        + " → redirects (the upstream source's end-session where the server goes there) and forms (the peer's confirmation)"
        + " → post_logout_redirect_uri with the state; run in rounds: every worker logs in, then every worker logs out, and only the logouts are timed";

    public override bool InRounds => true;

    public override async Task PrepareAsync(Worker worker, CancellationToken cancellationToken)
    {
        var jar = new CookieJar();
        var tokens = await Oidc.LoginAsync(jar, Oidc.Client, options.IdpHint, null, singleSignOn: false, cancellationToken);
        worker.Jar = jar;
        worker.Tokens = tokens;
    }

    public override async Task RunAsync(Worker worker, CancellationToken cancellationToken)
    {
        var (jar, tokens) = (worker.Jar!, worker.Tokens!);
        worker.Jar = null;
        worker.Tokens = null;
        await Oidc.LogoutAsync(jar, tokens.IdToken ?? throw new BenchException("the login returned no id_token"), cancellationToken);
    }
}

/// <summary>
/// A scenario whose workers reuse the tokens their set-up obtained: a failed operation forgets them (they may have
/// been refused), and they are obtained again, untimed, before the next operation.
/// </summary>
internal abstract class TokenReusingScenario(Oidc oidc, RunState state) : Scenario(oidc, state)
{
    public override async Task PrepareAsync(Worker worker, CancellationToken cancellationToken)
    {
        if (worker.Tokens is null)
        {
            State.Count("tokensObtainedAgainAfterFailure");
            await SetupAsync(worker, cancellationToken);
        }
    }

    public override void OnFailure(Worker worker) => worker.Tokens = null;
}
