using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IdentityHub.Tests.Fuzz;

/// <summary>
/// Several hundred malformed requests (<see cref="MalformedRequests"/>) to every endpoint that takes input: none gets a
/// 5xx, and none writes anything (docs/integration.md, "Errors"). The seed is fixed, so a failure replays; another
/// seed explores further: <c>HUB_FUZZ_SEED=n dotnet test --filter FullyQualifiedName~Fuzz</c>. With
/// <c>HUB_FUZZ_TRACE=1</c> the database is compared after every request, to name the one that wrote.
/// </summary>
public abstract class MalformedInputFuzzTests(FuzzHub hub, ITestOutputHelper output)
{
    private const int Count = 400;

    protected abstract int DefaultSeed { get; }

    [Fact]
    public async Task MalformedRequests_NeverGetA5xx_AndWriteNothing()
    {
        var seed = Environment.GetEnvironmentVariable("HUB_FUZZ_SEED") is { Length: > 0 } chosen ? int.Parse(chosen, CultureInfo.InvariantCulture) : DefaultSeed;
        var trace = Environment.GetEnvironmentVariable("HUB_FUZZ_TRACE") == "1";
        var context = await PrepareAsync();
        var requests = new MalformedRequests(seed, context).Generate(Count).ToList();

        var before = await DatabaseSnapshot.TakeAsync(hub.Factory.Services);
        var first = before;
        using var http = hub.CreateClient();
        var failures = new List<string>();
        var statuses = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var notRefused = new List<string>();
        var started = DateTime.UtcNow;
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            var (status, body) = request.Raw is not null ? await SendRawAsync(request.Raw) : await SendAsync(http, request);
            var key = status?.ToString(CultureInfo.InvariantCulture) ?? (request.Raw is null ? "no answer" : "closed");
            statuses[key] = statuses.GetValueOrDefault(key) + 1;
            if (status < 400)
            {
                // Not an error, yet no harm if nothing was written: revocation of an unknown token is 200, say.
                notRefused.Add($"#{i} {status} {request.Description}");
            }
            if (status is null && request.Raw is null && !OverServerLimits(request) || status >= 500)
            {
                failures.Add($"#{i} {request.Description}\n    -> {key}: {Excerpt(body)}" + (i > 0 ? $"\n    (after #{i - 1} {requests[i - 1].Description})" : ""));
            }
            if (trace && (await DatabaseSnapshot.TakeAsync(hub.Factory.Services)).ChangesSince(before) is { Count: > 0 } written)
            {
                failures.Add($"#{i} {request.Description}\n    -> {key}, and wrote: {string.Join("; ", written)}");
                before = await DatabaseSnapshot.TakeAsync(hub.Factory.Services);
            }
        }
        var after = await DatabaseSnapshot.TakeAsync(hub.Factory.Services);
        output.WriteLine($"seed {seed}: {requests.Count} requests in {(DateTime.UtcNow - started).TotalSeconds:F1} s; statuses: " +
            string.Join(", ", statuses.Select(s => $"{s.Key} ×{s.Value}")) + "; answered below 400:\n" + string.Join('\n', notRefused));

        // A form that is readable, however odd (multipart, say), with a wrong password is a failed sign-in, and the lock
        // counts it as it counts any (docs/design.md, "Lock-out"): the one row of the fuzz's unknown username may appear,
        // and so may the audit trail's login.failed events for that username (sealed into the chain, which moves its head).
        var changes = after.ChangesSince(first).Where(c => !c.StartsWith("SignInThrottles:", StringComparison.Ordinal)
            && !c.StartsWith("AuditEvents:", StringComparison.Ordinal) && !c.StartsWith("AuditChainHead:", StringComparison.Ordinal)).ToList();
        Assert.Subset(await FuzzThrottleKeysAsync(), await ThrottleKeysAsync());
        var fuzzSubjects = (await FuzzThrottleKeysAsync()).Select(k => $"username:{k}").ToHashSet();
        Assert.All(await AuditEventsSinceAsync(started), e => Assert.True(e.Type == IdentityHub.Audit.AuditTypes.LoginFailed && fuzzSubjects.Contains(e.Subject!),
            $"A malformed request was recorded as {e.Type} {e.Subject} {e.Detail}"));
        Assert.True(failures.Count == 0 && changes.Count == 0,
            $"Seed {seed} (replay: HUB_FUZZ_SEED={seed}), {requests.Count} malformed requests:\n" +
            (failures.Count == 0 ? "" : $"{failures.Count} answered 5xx or not at all:\n{string.Join('\n', failures.Take(40))}\n") +
            (changes.Count == 0 ? "" : $"and the database changed:\n{string.Join('\n', changes)}"));

        // The hub is still itself afterwards: a well-formed request is served.
        var token = await new OidcClient("hub-admin", HubFactory.AdminSecret, "http://unused/").TokenAsync(http, new() { ["grant_type"] = "client_credentials", ["scope"] = "hub.admin" });
        Assert.Equal(HttpStatusCode.OK, token.Status);
    }

    private async Task<HashSet<string>> ThrottleKeysAsync()
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>();
        return [.. await db.SignInThrottles.Select(t => t.Key).ToListAsync()];
    }

    private async Task<List<IdentityHub.Audit.AuditEvent>> AuditEventsSinceAsync(DateTime started)
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>();
        var since = new DateTimeOffset(started, TimeSpan.Zero).AddSeconds(-1);
        return await db.AuditEvents.AsNoTracking().Where(e => e.Time >= since).ToListAsync();
    }

    private async Task<HashSet<string>> FuzzThrottleKeysAsync()
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        return [scope.ServiceProvider.GetRequiredService<IdentityHub.Registry.RegistrySecrets>().ThrottleKey(MalformedRequests.UnknownUsername)];
    }

    /// <summary>A login waiting at the sign-in form, a person's access token and an admin token, all made before the snapshot.</summary>
    private async Task<FuzzContext> PrepareAsync()
    {
        using var http = hub.CreateClient();
        var admin = await new OidcClient("hub-admin", HubFactory.AdminSecret, "http://unused/").TokenAsync(http, new() { ["grant_type"] = "client_credentials", ["scope"] = "hub.admin" });

        var client = OidcClient.Demo();
        using var person = hub.CreateBrowser(new CookieContainer());
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(person))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);

        var jar = new CookieContainer();
        using var browser = hub.CreateBrowser(jar);
        var signIn = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        Assert.StartsWith("/registry/signin?journey=", signIn.Url, StringComparison.Ordinal);
        var journey = Uri.UnescapeDataString(signIn.Url["/registry/signin?journey=".Length..]);
        // Whatever is made on first use (the key ring's first key, say) exists before the snapshot.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/login/{journey}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync($"/error/invalid_request?journey={journey}")).Status);
        return new FuzzContext(journey, jar.GetCookieHeader(hub.Address), signIn.HiddenFields()["__RequestVerificationToken"],
            tokens.AccessToken, admin.AccessToken, hub.OverKestrel);
    }

    /// <summary>
    /// A request line or headers beyond Kestrel's limits (8 KB, 32 KB) are refused by the server before the hub sees
    /// them: it answers 414 or 431 and closes, and a client still writing may fail before it reads that answer.
    /// </summary>
    private bool OverServerLimits(FuzzRequest request) =>
        hub.OverKestrel && (request.Target.Length > 8 * 1024 || request.Headers.Sum(h => h.Key.Length + h.Value.Length + 4) > 32 * 1024);

    private async Task<(int? Status, string Body)> SendAsync(HttpClient http, FuzzRequest request)
    {
        using var message = request.ToMessage(hub.Address);
        // A client that sends a big body waits for the server's go-ahead, as curl does: a refusal arrives before the upload.
        message.Headers.ExpectContinue = request.Body?.Length > 64 * 1024;
        // One connection per request: the server may close one after refusing a body it did not read, and a pooled
        // connection reused at that moment would fail on the client's side, which says nothing about the answer.
        message.Headers.ConnectionClose = true;
        try
        {
            using var response = await http.SendAsync(message);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException exception)
        {
            return (null, exception.ToString());
        }
        catch (InvalidOperationException exception) when (!hub.OverKestrel && exception.Message.Contains("null characters", StringComparison.Ordinal))
        {
            // The test server decodes the path as Kestrel does, and refuses %00 the same way (Kestrel answers 400).
            return (StatusCodes.BadRequestFromServer, exception.Message);
        }
    }

    private async Task<(int? Status, string Body)> SendRawAsync(byte[] bytes)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(hub.Address.Host, hub.Address.Port);
        var stream = tcp.GetStream();
        stream.ReadTimeout = 10_000;
        try
        {
            await stream.WriteAsync(bytes);
        }
        catch (IOException)
        {
            // The server refused before the whole request was sent: its answer may still be waiting to be read.
        }
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                if (Encoding.Latin1.GetString(received.ToArray()).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
        }
        var text = Encoding.Latin1.GetString(received.ToArray());
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(text.AsSpan(9, 3), CultureInfo.InvariantCulture, out var status)
            ? (status, text)
            : (null, text);
    }

    private static class StatusCodes
    {
        public const int BadRequestFromServer = 400;
    }

    private static string Excerpt(string body)
    {
        var flat = body.ReplaceLineEndings(" ");
        return flat.Length <= 300 ? flat : flat[..300] + "…";
    }
}

/// <summary>A hub for the fuzz test: its address, clients without cookies or redirects, and whether it runs on Kestrel.</summary>
public abstract class FuzzHub : IAsyncLifetime
{
    public HubFactory Factory { get; protected set; } = null!;
    public Uri Address { get; protected set; } = null!;
    public abstract bool OverKestrel { get; }

    public abstract HttpMessageHandler CreateHandler();

    public HttpClient CreateClient() => new(CreateHandler()) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };

    public Browser CreateBrowser(CookieContainer jar) => new(new HttpClient(new CookieHandler(jar) { InnerHandler = CreateHandler() }) { BaseAddress = Address });

    public abstract Task InitializeAsync();

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>The production set-up: PostgreSQL, which refuses NUL in text, behind Kestrel with its own limits.</summary>
public sealed class PostgresKestrelFuzzHub : FuzzHub
{
    public override bool OverKestrel => true;

    // A client sending a big body waits for the server's go-ahead however long it takes (on a loaded machine more than the
    // default second): it never sends a body the server has already refused, so the refusal is always read.
    public override HttpMessageHandler CreateHandler() =>
        new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, Expect100ContinueTimeout = TimeSpan.FromSeconds(30) };

    public override async Task InitializeAsync()
    {
        var url = $"http://localhost:{Loopback.FreePort()}";
        Address = new Uri(url);
        Factory = new HubFactory(HubDatabase.Postgres, await HubFactory.NewDatabaseAsync(HubDatabase.Postgres), new()
        {
            ["Hub:Issuer"] = url + "/",
            ["urls"] = url,
        });
        Factory.UseKestrel();
        Factory.StartServer();
    }
}

/// <summary>SQLite behind the in-memory test server, which has no size limits of its own: only the hub's apply.</summary>
public sealed class SqliteInMemoryFuzzHub : FuzzHub
{
    public override bool OverKestrel => false;

    public override HttpMessageHandler CreateHandler() => Factory.Server.CreateHandler();

    public override async Task InitializeAsync()
    {
        Address = new Uri(HubFactory.Issuer);
        Factory = await HubFactory.CreateAsync(HubDatabase.Sqlite);
        _ = Factory.Server;
    }
}

public sealed class PostgresMalformedInputFuzzTests(PostgresKestrelFuzzHub hub, ITestOutputHelper output)
    : MalformedInputFuzzTests(hub, output), IClassFixture<PostgresKestrelFuzzHub>
{
    protected override int DefaultSeed => 12_005;
}

public sealed class SqliteMalformedInputFuzzTests(SqliteInMemoryFuzzHub hub, ITestOutputHelper output)
    : MalformedInputFuzzTests(hub, output), IClassFixture<SqliteInMemoryFuzzHub>
{
    protected override int DefaultSeed => 12_050;
}
