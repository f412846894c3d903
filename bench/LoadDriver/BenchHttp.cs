using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LoadDriver;

/// <summary>A response, read completely.</summary>
internal sealed class Exchange(HttpMethod method, Uri requestUri, int status, Uri? location, byte[] body, string? mediaType)
{
    private string? _text;

    public HttpMethod Method { get; } = method;
    public Uri RequestUri { get; } = requestUri;
    public int Status { get; } = status;
    public Uri? Location { get; } = location;
    public byte[] Body { get; } = body;
    public string? MediaType { get; } = mediaType;
    public bool IsRedirect => Status is 301 or 302 or 303 or 307 or 308;
    public string Text => _text ??= Encoding.UTF8.GetString(Body);

    /// <summary>The step name of this request, without per-request data: <c>POST /connect/token</c>.</summary>
    public string Describe() => BenchHttp.StepName(Method, RequestUri, null);

    /// <summary>A failure naming the request and status, with the OAuth error or the page's alert as detail.</summary>
    public BenchException Unexpected(string what)
    {
        var detail = what;
        if (MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                using var json = JsonDocument.Parse(Body);
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error))
                {
                    var description = json.RootElement.TryGetProperty("error_description", out var d) ? d.ToString() : null;
                    return new BenchException($"{Describe()}: HTTP {Status} {error}", description ?? what);
                }
            }
            catch (JsonException)
            {
            }
        }
        else if (MediaType?.Contains("html", StringComparison.OrdinalIgnoreCase) == true && HtmlForm.Alert(Text) is { } alert)
        {
            detail = $"{what}; the page says: {alert}";
        }
        else if (Body.Length > 0)
        {
            var text = Text.Length > 200 ? Text[..200] : Text;
            detail = $"{what}; body: {text}";
        }
        return new BenchException($"{Describe()}: HTTP {Status}", detail);
    }
}

/// <summary>
/// The one HttpClient of a run (connections pooled and reused by every worker and every iteration), with the request
/// budget, per-step timing, and the loopback guard applied to every URL before it is requested.
/// </summary>
internal sealed partial class BenchHttp(HttpClient client, RunState state, Uri baseUrl)
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    public RunState State { get; } = state;
    public Uri BaseUrl { get; } = baseUrl;

    public static SocketsHttpHandler CreateHandler(int concurrency) => new()
    {
        // Loopback never changes address; the lifetime only bounds how long one connection lives.
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        MaxConnectionsPerServer = concurrency,
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    public Task<Exchange> GetAsync(Uri uri, string step, CookieJar? jar, bool browser, CancellationToken cancellationToken,
        AuthenticationHeaderValue? authorization = null) =>
        SendAsync(HttpMethod.Get, uri, step, jar, null, authorization, browser, cancellationToken);

    public Task<Exchange> PostFormAsync(Uri uri, string step, CookieJar? jar, IEnumerable<KeyValuePair<string, string>> form, bool browser,
        CancellationToken cancellationToken, AuthenticationHeaderValue? authorization = null) =>
        SendAsync(HttpMethod.Post, uri, step, jar, new FormUrlEncodedContent(form), authorization, browser, cancellationToken);

    private async Task<Exchange> SendAsync(HttpMethod method, Uri uri, string step, CookieJar? jar, HttpContent? content,
        AuthenticationHeaderValue? authorization, bool browser, CancellationToken cancellationToken)
    {
        using var ownedContent = content;
        if (!Loopback.IsLoopback(uri))
        {
            throw new BenchException($"refused to send {method} to a non-loopback host", uri.GetLeftPart(UriPartial.Path));
        }
        State.TakeRequest();
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        if (jar?.HeaderFor(uri) is { } cookies)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookies);
        }
        request.Headers.Authorization = authorization;
        request.Headers.TryAddWithoutValidation("Accept", browser ? BrowserAccept : "application/json");

        var start = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            State.RecordRequest(step, start, Stopwatch.GetTimestamp(), responded: false);
            throw new BenchException($"{StepName(method, uri, null)}: timeout after {client.Timeout.TotalSeconds:0.#} s", null, exception);
        }
        catch (HttpRequestException exception)
        {
            State.RecordRequest(step, start, Stopwatch.GetTimestamp(), responded: false);
            throw new BenchException($"{StepName(method, uri, null)}: {exception.Message}", null, exception);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            State.RecordRequest(step, start, Stopwatch.GetTimestamp(), responded: true);
            jar?.Store(uri, response);
            var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(uri, l)) : null;
            return new Exchange(method, uri, (int)response.StatusCode, location, body, response.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>
    /// <c>METHOD /path</c>, with id-like path segments (16+ URL-safe characters, one at least a digit or capital) replaced by <c>:id</c>, prefixed by
    /// <c>upstream</c> for another server than the one under test, and by the visit number from the second visit of
    /// the same step in one operation (the hub's /connect/authorize is visited twice in a login).
    /// </summary>
    public static string StepName(HttpMethod method, Uri uri, Uri? baseUrl, int visit = 1)
    {
        var path = IdSegment().Replace(uri.AbsolutePath, ":id");
        var name = $"{method.Method} {path}";
        if (baseUrl is not null && !string.Equals(uri.Authority, baseUrl.Authority, StringComparison.OrdinalIgnoreCase))
        {
            name = "upstream " + name;
        }
        return visit > 1 ? $"{name} #{visit}" : name;
    }

    [GeneratedRegex(@"(?<=/)(?=[^/]*[0-9A-Z])[A-Za-z0-9_\-]{16,}(?=/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex IdSegment();
}
