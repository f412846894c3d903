using System.Globalization;
using System.Text;

namespace LoadDriver;

/// <summary>
/// <c>--self-test</c>: checks argument parsing, the loopback guard, the histogram, the form reader and the cookie jar,
/// without starting or contacting anything. Exit code 0 when every check passes.
/// </summary>
internal static class SelfTest
{
    public static int Run(TextWriter output)
    {
        var failures = new List<string>();
        void Check(bool condition, string what)
        {
            if (!condition)
            {
                failures.Add(what);
            }
        }
        void Refused(string[] args, string what)
        {
            try
            {
                OptionParser.Parse(args);
                failures.Add("accepted: " + what);
            }
            catch (UsageException)
            {
            }
        }
        var checks = 0;
        void Count() => checks++;

        // Arguments and defaults.
        var hub = OptionParser.Parse(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--concurrency", "4",
            "--warmup-seconds", "2", "--seconds", "3", "--server-pid", "4242", "--max-requests", "1_000"]);
        Check(hub.Server == ServerKind.Hub && hub.Concurrency == 4 && hub.WarmupSeconds == 2 && hub.Seconds == 3 && hub.ServerPids is [4242]
            && hub.MaxRequests == 1000 && hub.Rate is null && hub.ServerName == "hub", "hub login arguments");
        Check(hub.IdpHint == "registry" && hub.UiLocales == "en" && hub.Prompt is null && hub.Scope == DriverOptions.DefaultLoginScope
            && hub.ClientId == "bench-web" && hub.Username == "bench.user" && hub.RedirectUri.AbsoluteUri == "http://localhost:5090/signin-oidc",
            "hub login defaults");
        var peer = OptionParser.Parse(["--server=peer", "--base-url=http://localhost:5590/", "--scenario=client-credentials", "--client-id=bench-cc"]);
        Check(peer.Server == ServerKind.Peer && peer.Scope == "api" && peer.Prompt == "consent" && peer.IdpHint is null && peer.UiLocales is null
            && peer.ClientId == "bench-cc" && peer.MaxRequests == DriverOptions.DefaultMaxRequests && peer.Concurrency == 8, "peer client-credentials defaults");
        var federated = OptionParser.Parse(["--server", "hub", "--base-url", "http://[::1]:5080", "--scenario", "federated-login", "--upstream-pid", "7"]);
        Check(federated.IdpHint == "mock-bank" && federated.UpstreamPerson == "an.nguyen" && federated.UpstreamPid == 7, "federated-login defaults");
        var peerFederated = OptionParser.Parse(["--server", "peer", "--base-url", "http://127.0.0.1:5590", "--scenario", "federated-login"]);
        Check(peerFederated.IdpHint == "mock-bank" && peerFederated.Prompt == "consent", "peer federated-login defaults");
        var hubCc = OptionParser.Parse(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "client-credentials"]);
        Check(hubCc.Scope.Length == 0, "hub client-credentials has no scope by default");
        var noHint = OptionParser.Parse(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "introspection", "--idp-hint", "",
            "--token-source", "client-credentials", "--client-secret", "s3cret"]);
        Check(noHint.IdpHint is null && noHint.TokenSource == TokenSource.ClientCredentials && noHint.ClientSecret == "s3cret", "empty --idp-hint, --token-source");
        var paced = OptionParser.Parse(["--server", "hub-x2", "--base-url", "http://127.0.0.1:5585", "--scenario", "login", "--rate", "12.5",
            "--concurrency", "64", "--server-pid", "11,12"]);
        Check(paced.Server == ServerKind.Hub && paced.ServerName == "hub-x2" && paced.IdpHint == "registry" && paced.Rate == 12.5
            && paced.ServerPids is [11, 12], "labelled hub, --rate, several --server-pid");
        Check(OptionParser.Parse(["--server", "peer-b", "--base-url", "http://127.0.0.1:5590", "--scenario", "login"]) is { Server: ServerKind.Peer, ServerName: "peer-b", Prompt: "consent" },
            "labelled peer");
        Refused(["--server", "hub-", "--base-url", "http://127.0.0.1:5080", "--scenario", "login"], "empty server label");
        Refused(["--server", "hub-X 2", "--base-url", "http://127.0.0.1:5080", "--scenario", "login"], "server label with a space");
        Refused(["--server", "hubx2", "--base-url", "http://127.0.0.1:5080", "--scenario", "login"], "server without a dash");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--rate", "0"], "zero rate");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--server-pid", "1,,2"], "empty pid in a list");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--server-pid", "3,3"], "repeated pid");
        Refused(["--server", "hub", "--scenario", "login"], "missing --base-url");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080"], "missing --scenario");
        Refused(["--server", "keycloak", "--base-url", "http://127.0.0.1:5080", "--scenario", "login"], "unknown server");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "sign-out"], "unknown scenario");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--concurency", "4"], "misspelt option");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--seconds", "1", "--seconds", "2"], "repeated option");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--concurrency", "0"], "zero workers");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--seconds", "ten"], "non-numeric seconds");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--max-requests", "-1"], "negative max-requests");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--redirect-uri", "/relative"], "relative redirect_uri");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--token-source", "magic"], "unknown token source");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--client-id", ""], "empty client id");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "stray"], "stray argument");
        var mfa = OptionParser.Parse(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login-mfa", "--totp-accounts", "people.txt"]);
        Check(mfa is { AcrValues: "eidas2", TotpAccountsPath: "people.txt", IdpHint: "registry" }, "login-mfa defaults");
        Check(hub.AcrValues is null && OptionParser.Parse(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login",
            "--acr-values", "eidas1"]).AcrValues == "eidas1", "--acr-values");
        Refused(["--server", "peer", "--base-url", "http://127.0.0.1:5590", "--scenario", "login-mfa", "--totp-accounts", "people.txt"], "login-mfa at the peer");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login-mfa"], "login-mfa without --totp-accounts");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "login", "--totp-accounts", "people.txt"], "--totp-accounts with login");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario"], "option without value");
        var sso = OptionParser.Parse(["--server", "peer", "--base-url", "http://127.0.0.1:5590", "--scenario", "sso"]);
        Check(sso is { Scope: "openid profile email", Prompt: null, SecondClientId: "bench-sso", IdpHint: null }
            && sso.SecondRedirectUri.AbsoluteUri == "http://127.0.0.1:5091/signin-oidc", "peer sso defaults");
        var logout = OptionParser.Parse(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "logout",
            "--post-logout-redirect-uri", "http://localhost:5090/bye"]);
        Check(logout is { IdpHint: "mock-bank", Scope: DriverOptions.DefaultLoginScope } && logout.PostLogoutRedirectUri.AbsolutePath == "/bye",
            "logout defaults and --post-logout-redirect-uri");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "logout", "--rate", "10"], "logout with --rate");
        Refused(["--server", "hub", "--base-url", "http://127.0.0.1:5080", "--scenario", "sso", "--second-redirect-uri", "nowhere"], "relative second redirect_uri");
        Count();

        // The loopback guard.
        foreach (var allowed in new[]
        {
            "http://127.0.0.1:5080", "http://127.1.2.3/", "https://127.255.255.254:1/", "http://localhost:5080", "http://LOCALHOST/",
            "http://localhost.:80/", "http://[::1]:5080/", "http://[::ffff:127.0.0.1]:5080/", "http://127.0.0.1:5080/prefix",
        })
        {
            Check(Loopback.IsLoopback(new Uri(allowed)), "loopback refused: " + allowed);
            try
            {
                OptionParser.ParseLoopbackUrl(allowed, "--base-url");
            }
            catch (UsageException)
            {
                failures.Add("base URL refused: " + allowed);
            }
        }
        foreach (var refused in new[]
        {
            "http://10.0.0.1/", "http://192.168.1.10:5080/", "http://0.0.0.0:5080/", "http://example.com/", "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/", "http://[::2]/", "http://[::]/", "http://[::ffff:10.0.0.1]/", "http://169.254.169.254/",
            "ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "http://127.0.0.1/?q=1", "file:///etc/passwd", "127.0.0.1:5080", "",
        })
        {
            try
            {
                OptionParser.ParseLoopbackUrl(refused, "--base-url");
                failures.Add("base URL accepted: " + refused);
            }
            catch (UsageException)
            {
            }
        }
        Refused(["--server", "hub", "--base-url", "http://203.0.113.5:5080", "--scenario", "discovery"], "non-loopback base URL");
        Count();

        // The histogram: 1..10,000 µs, uniformly.
        var histogram = new Histogram();
        for (var v = 1; v <= 10_000; v++)
        {
            histogram.Record(v);
        }
        var summary = histogram.Summarize();
        Check(summary.Count == 10_000 && summary.MinMs == 0.001 && summary.MaxMs == 10.0, "histogram count, min, max");
        Check(Near(summary.P50Ms, 5.0, 0.005) && Near(summary.P95Ms, 9.5, 0.005) && Near(summary.P99Ms, 9.9, 0.005) && Near(summary.MeanMs, 5.0005, 0.0001),
            $"histogram percentiles {summary}");
        var random = new Random(6);
        for (var i = 0; i < 100_000; i++)
        {
#pragma warning disable CA5394 // Not security: test values for the histogram.
            var value = (long)Math.Pow(2, random.NextDouble() * 38);
#pragma warning restore CA5394
            var index = Histogram.Index(value);
            if (Histogram.UpperBound(index) < value || (index > 0 && Histogram.UpperBound(index - 1) >= value) || Histogram.UpperBound(index) > value * 1.004 + 1)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"histogram bucket of {value}"));
                break;
            }
        }
        Check(new Histogram().Summarize().Count == 0, "empty histogram");
        Count();

        // The schedule of --rate: slot i at t0 + i/R; slots counted in [start, end).
        var t0 = 1_000 * System.Diagnostics.Stopwatch.Frequency;
        var schedule = new Schedule(250, t0);
        var second = System.Diagnostics.Stopwatch.Frequency;
        Check(schedule.Next() == t0 && schedule.Next() == t0 + second / 250 && schedule.SlotTime(250) == t0 + second, "schedule slot times");
        Check(schedule.SlotsBetween(t0, t0 + second) == 250 && schedule.SlotsBetween(t0 + 1, t0 + second + 1) == 250
            && schedule.SlotsBetween(t0 - second, t0) == 0 && schedule.SlotsBetween(t0 + 2 * second, t0 + 5 * second / 2) == 125,
            "schedule slots in a window");
        Check(new Schedule(3, t0).SlotsBetween(t0, t0 + second) == 3 && new Schedule(0.5, t0).SlotsBetween(t0 + 1, t0 + 4 * second) == 1,
            "schedule at low rates");
        Count();

        // Forms: the hub's sign-in page (attributes in any order and quoting), the mock source's page, node-oidc-provider's.
        const string hubPage = """
            <html><body><h1>Sign in</h1>
            <form method="post" novalidate>
                <input type="hidden" id="Journey" name="Journey" value="j&#x2B;1&amp;2" />
                <label for="username">Username</label>
                <input type="text" id="username" name="Input.Username" value="" autocomplete="username" required />
                <input type="password" id="password" name="Input.Password" autocomplete="current-password" required />
                <button type="submit">Sign in</button>
            <input value='CfDJ8"tok' type=hidden name="__RequestVerificationToken"></form>
            </body></html>
            """;
        var hubForm = HtmlForm.Find(hubPage);
        Check(hubForm is { Action: null, Method: "post", HasPassword: true }, "hub form found");
        if (hubForm is not null)
        {
            var user = hubForm.FieldNamed(["Input.Username", "username"], "text");
            var password = hubForm.FieldNamed(["Input.Password", "password"], "password");
            var fields = hubForm.Fields(new Dictionary<string, string> { [user!] = "bench.user", [password!] = "pw" });
            Check(Render(fields) == "Journey=j+1&2|Input.Username=bench.user|Input.Password=pw|__RequestVerificationToken=CfDJ8\"tok",
                "hub form fields: " + Render(fields));
        }
        const string mockPage = """
            <form method="post" action="/authorize">
            <input type="hidden" name="client_id" value="identityhub">
            <input type="hidden" name="state" value="s&amp;t">
            <fieldset><legend>Sign in as</legend>
            <div class="choice"><input type="radio" id="person-an.nguyen" name="person" value="an.nguyen" checked><label>An</label></div>
            <div class="choice"><input type="radio" id="person-chi.le" name="person" value="chi.le"><label>Chi</label></div>
            </fieldset>
            <button type="submit" name="decision" value="signin">Sign in</button>
            <button type="submit" name="decision" value="cancel" class="secondary">Cancel</button>
            </form>
            """;
        var mockForm = HtmlForm.Find(mockPage);
        Check(mockForm is { Action: "/authorize", HasPassword: false } && mockForm.HasRadioGroup("person"), "mock form found");
        if (mockForm is not null)
        {
            Check(Render(mockForm.Fields(new Dictionary<string, string> { ["person"] = "chi.le" }, ("decision", "signin")))
                == "client_id=identityhub|state=s&t|person=chi.le|decision=signin", "mock form fields");
            Check(Render(mockForm.Fields(new Dictionary<string, string>(), ("decision", "cancel")))
                == "client_id=identityhub|state=s&t|person=an.nguyen|decision=cancel", "mock form, checked radio and chosen button");
        }
        const string peerPage = """
            <form autocomplete="off" action="/interaction/Ab3dEf6hIj9kLmNoPq2sT/login" method="post">
              <input required type="text" name="username" placeholder="Enter any login" autofocus="on">
              <input required type="password" name="password" placeholder="and password">
              <button type="submit" class="login login-submit">Sign-in</button>
            </form>
            <form action="/interaction/Ab3dEf6hIj9kLmNoPq2sT/abort" method="post"><input type="hidden" name="x" value="1"></form>
            """;
        var peerForm = HtmlForm.Find(peerPage);
        Check(peerForm is { Action: "/interaction/Ab3dEf6hIj9kLmNoPq2sT/login", HasPassword: true }
            && peerForm.FieldNamed(["Input.Username", "username", "login"], "text") == "username", "peer form found");
        // node-oidc-provider's logout confirmation: the buttons sit outside the form (form="op.logoutForm").
        const string peerLogoutPage = """
            <h1>Do you want to sign-out from 127.0.0.1:5590?</h1>
            <form id="op.logoutForm" method="post" action="/session/end/confirm"><input type="hidden" name="xsrf" value="x&amp;1"/></form>
            <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            """;
        var peerLogout = HtmlForm.Find(peerLogoutPage);
        Check(peerLogout is { Action: "/session/end/confirm", HasPassword: false }
            && Render(peerLogout.Fields(new Dictionary<string, string> { ["logout"] = "yes" })) == "xsrf=x&1|logout=yes", "peer logout confirmation form");
        Check(HtmlForm.Find("<p>no form</p>") is null, "page without a form");
        Check(HtmlForm.Alert("<div class=\"alert\" role=\"alert\" id=\"problem\">Wrong <b>username</b>\n or password.</div>") == "Wrong username or password.",
            "alert text");
        Count();

        // The hub's second-factor and enrolment pages: the code's field, and the setup key outside the form.
        const string enrolPage = """
            <li><img class="qr-code" src="data:image/png;base64,iVBO" alt="QR code" width="240" height="240" />
            <label for="setup-key">Setup key</label>
            <input type="text" id="setup-key" class="code" value="JBSW Y3DP EHPK 3PXP" readonly spellcheck="false" aria-describedby="setup-key-help" /></li>
            <li><form method="post" action="/registry/enrol?journey=j1" novalidate>
                <input type="hidden" id="Journey" name="Journey" value="j1" />
                <label for="code">Authentication code</label>
                <input type="text" id="code" name="Code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required />
                <button type="submit">Activate</button>
            <input name="__RequestVerificationToken" type="hidden" value="CfDJ8x" /></form></li>
            """;
        var enrolForm = HtmlForm.Find(enrolPage);
        Check(enrolForm is { HasPassword: false, Action: "/registry/enrol?journey=j1" } && enrolForm.FieldNamed(["Code"]) == "Code"
            && Render(enrolForm.Fields(new Dictionary<string, string> { ["Code"] = "123456" })) == "Journey=j1|Code=123456|__RequestVerificationToken=CfDJ8x",
            "enrolment form");
        Check(HtmlForm.InputValue(enrolPage, "setup-key") == "JBSW Y3DP EHPK 3PXP" && HtmlForm.InputValue(enrolPage, "code") is null
            && HtmlForm.InputValue(hubPage, "setup-key") is null, "setup key read by its id");
        Check(HtmlForm.Find(hubPage)?.FieldNamed(["Code"]) is null, "the sign-in form has no code field");
        Count();

        // RFC 6238 appendix B (SHA-1 key "12345678901234567890"), base32 (RFC 4648), and the steps an account may spend.
        var rfcKey = Encoding.ASCII.GetBytes("12345678901234567890");
        Check(Totp.Code(rfcKey, 59 / 30, 8) == "94287082" && Totp.Code(rfcKey, 1111111109 / 30, 8) == "07081804"
            && Totp.Code(rfcKey, 1234567890 / 30, 8) == "89005924" && Totp.Code(rfcKey, 20000000000 / 30, 8) == "65353130"
            && Totp.Code(rfcKey, 1111111109 / 30) == "081804", "RFC 6238 test vectors");
        Check(Totp.Base32Decode("JBSW Y3DP EHPK 3PXP").SequenceEqual(new byte[] { 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef })
            && Totp.Base32Decode("gezdgnbv") is [0x31, 0x32, 0x33, 0x34, 0x35], "base32");
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + 29); // the last second of a step
        var step = Totp.StepAt(at);
        var person = new TotpAccount("bench.mfa.1", null, -1);
        Check(!person.UsableAt(step), "an account without a secret has no code");
        person.Enrolled("GEZD GNBV");
        var key = Totp.Base32Decode("GEZDGNBV");
        var firstCode = person.NextCode(at);
        var secondCode = person.NextCode(at);
        Check(firstCode == Totp.Code(key, step) && secondCode == Totp.Code(key, step + 1) && !person.UsableAt(step) && person.UsableAt(step + 1),
            "the current step, then the next one, then none until the clock moves");
        Check(person.NextCode(at.AddSeconds(1)) == Totp.Code(key, step + 2) && person.LastStep == step + 2, "the step after, once it is the next one");
        var file = Path.Combine(Path.GetTempPath(), "loaddriver-selftest-" + Guid.NewGuid().ToString("N") + ".txt");
        try
        {
            File.WriteAllText(file, "# people\nbench.mfa.1\nbench.mfa.2 GEZDGNBV 41\n\n");
            var accounts = TotpAccounts.Load(file);
            Check(accounts.All is [{ Username: "bench.mfa.1", Secret: null }, { Username: "bench.mfa.2", Secret: "GEZDGNBV", LastStep: 41 }], "accounts file read");
            var (held, waited) = accounts.AcquireAsync(() => DateTimeOffset.FromUnixTimeSeconds(41 * 30), CancellationToken.None).GetAwaiter().GetResult();
            Check(held.Username == "bench.mfa.2" && waited == TimeSpan.Zero && held.NextCode(DateTimeOffset.FromUnixTimeSeconds(41 * 30)) == Totp.Code(key, 42),
                "an enrolled account acquired, its next step");
            accounts.Release(held);
            accounts.Save();
            Check(TotpAccounts.Load(file).All is [{ Secret: null }, { Secret: "GEZDGNBV", LastStep: 42 }], "accounts file written back with the last step");
            File.WriteAllText(file, "bench.mfa.1 NOT-BASE32! 3\n");
            try
            {
                TotpAccounts.Load(file);
                failures.Add("accepted: an accounts file with a secret that is not base32");
            }
            catch (UsageException)
            {
            }
        }
        finally
        {
            File.Delete(file);
        }
        Count();

        // Cookies.
        var jar = new CookieJar();
        var signin = new Uri("http://127.0.0.1:5080/registry/signin?journey=1");
        jar.Store(signin, "a=1; path=/; HttpOnly; SameSite=Lax; Secure");
        jar.Store(signin, "b=2; Path=/registry");
        jar.Store(signin, "c=3");                                              // default path /registry
        jar.Store(signin, "d=4; Domain=example.com");                          // another domain: refused
        jar.Store(new Uri("http://127.0.0.1:5595/authorize"), "up=5; path=/"); // same host, other port: shared, as in browsers
        Check(jar.HeaderFor(new Uri("http://127.0.0.1:5080/registry/signin")) == "b=2; c=3; a=1; up=5", "cookie paths");
        Check(jar.HeaderFor(new Uri("http://127.0.0.1:5080/connect/authorize")) == "a=1; up=5", "cookie path match");
        Check(jar.HeaderFor(new Uri("http://127.0.0.1:5080/registryx")) == "a=1; up=5", "cookie path boundary");
        Check(jar.HeaderFor(new Uri("http://localhost:5080/")) is null, "cookies are per host");
        jar.Store(signin, "a=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT");
        jar.Store(signin, "b=; Path=/registry; Max-Age=0");
        Check(jar.HeaderFor(new Uri("http://127.0.0.1:5080/registry/signin")) == "c=3; up=5", "cookie deletion");
        Count();

        // Step names, queries, JWT claims.
        Check(BenchHttp.StepName(HttpMethod.Get, new Uri("http://127.0.0.1:5590/interaction/Ab3dEf6hIj9kLmNoPq2sT"), new Uri("http://127.0.0.1:5590/"))
            == "GET /interaction/:id", "step name with an id");
        Check(BenchHttp.StepName(HttpMethod.Get, new Uri("http://127.0.0.1:5080/.well-known/openid-configuration"), null)
            == "GET /.well-known/openid-configuration", "step name without an id");
        Check(BenchHttp.StepName(HttpMethod.Post, new Uri("http://127.0.0.1:5595/authorize"), new Uri("http://127.0.0.1:5080/"), 2)
            == "upstream POST /authorize #2", "upstream step name");
        var query = Oidc.ParseQuery("?code=a%2Bb&state=x+y&iss=http%3A%2F%2F127.0.0.1%3A5080%2F");
        Check(query["code"] == "a+b" && query["state"] == "x y" && query["iss"] == "http://127.0.0.1:5080/", "query parsing");
        var jwt = "e30." + Oidc.Base64Url(Encoding.UTF8.GetBytes("{\"nonce\":\"n-1\",\"sub\":\"s\"}")) + ".sig";
        Check(Oidc.JwtClaim(jwt, "nonce") == "n-1" && Oidc.JwtClaim("not a jwt", "nonce") is null, "JWT payload claim");
        var mfaJwt = "e30." + Oidc.Base64Url(Encoding.UTF8.GetBytes("{\"acr\":\"eidas2\",\"amr\":[\"pwd\",\"otp\",\"mfa\"]}")) + ".sig";
        Check(Oidc.JwtClaimValues(mfaJwt, "amr") is ["pwd", "otp", "mfa"] && Oidc.JwtClaimValues(mfaJwt, "acr") is ["eidas2"]
            && Oidc.JwtClaimValues(jwt, "amr").Count == 0, "JWT array claim");
        Check(Oidc.WithQuery(new Uri("http://127.0.0.1/a?x=1"), [new("redirect_uri", "http://localhost:5090/signin-oidc")]).Query
            == "?x=1&redirect_uri=http%3A%2F%2Flocalhost%3A5090%2Fsignin-oidc", "query building");
        Count();

        foreach (var failure in failures)
        {
            output.WriteLine("FAILED: " + failure);
        }
        output.WriteLine(failures.Count == 0
            ? $"self-test passed ({checks} groups: arguments, loopback guard, histogram, schedule, forms, second-factor forms, TOTP, cookies, names)"
            : $"self-test FAILED: {failures.Count} check(s)");
        return failures.Count == 0 ? 0 : 1;
    }

    private static bool Near(double actual, double expected, double relative) => Math.Abs(actual - expected) <= expected * relative;

    private static string Render(IEnumerable<KeyValuePair<string, string>> fields) => string.Join('|', fields.Select(f => f.Key + "=" + f.Value));
}
