using IdentityHub.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace IdentityHub.Hosting;

/// <summary>
/// Refuses a malformed request before any feature reads it (docs/design.md, "Malformed input"): a control character or
/// invalid UTF-8 in the path, the query or a form (<see cref="RequestText"/>), a body over <see cref="MaxBodyBytes"/>, a
/// form that cannot be read, a body in another charset than UTF-8. Every endpoint then reads only what passed, from the
/// form this guard has already parsed: a request that is refused here has touched neither the database nor a journey.
/// The answer takes the shape its caller reads: problem details under /api, the hub's error page for a browser, an
/// OAuth error (<c>invalid_request</c>) for any other client.
/// </summary>
internal static partial class RequestGuard
{
    /// <summary>Every body the hub takes (a form, an admin API document) is a few kilobytes at most.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    private const string FormContentType = "application/x-www-form-urlencoded";
    private const string MultipartContentType = "multipart/form-data";

    private sealed record Refusal(int Status, string Title, string Detail);

    private static readonly Refusal Malformed = new(StatusCodes.Status400BadRequest, "Malformed request",
        "The request holds a control character or invalid UTF-8.");
    private static readonly Refusal UnreadableForm = new(StatusCodes.Status400BadRequest, "Malformed request",
        "The form cannot be read: it is cut short, or has too many fields, or a name or value too long.");
    private static readonly Refusal TooLarge = new(StatusCodes.Status413PayloadTooLarge, "Request body too large",
        $"Request bodies are limited to {MaxBodyBytes} bytes.");
    private static readonly Refusal NotUtf8 = new(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
        "Request bodies must be UTF-8, and a form must be application/x-www-form-urlencoded or multipart/form-data.");

    public static WebApplication UseRequestGuard(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestGuard).FullName!);
        app.Use((http, next) => InvokeAsync(http, next, logger));
        return app;
    }

    /// <summary>A well-formed request without a body goes on without an await of the guard's own.</summary>
    private static Task InvokeAsync(HttpContext http, RequestDelegate next, ILogger logger)
    {
        var check = CheckAsync(http);
        if (!check.IsCompletedSuccessfully)
        {
            return ContinueAsync(check, http, next, logger);
        }
        var refusal = check.Result;
        return refusal is null ? next(http) : RefuseAsync(http, next, logger, refusal);
    }

    private static async Task ContinueAsync(ValueTask<Refusal?> check, HttpContext http, RequestDelegate next, ILogger logger)
    {
        if (await check is { } refusal)
        {
            await RefuseAsync(http, next, logger, refusal);
        }
        else
        {
            await next(http);
        }
    }

    private static async Task RefuseAsync(HttpContext http, RequestDelegate next, ILogger logger, Refusal refusal)
    {
        LogRefused(logger, refusal.Status, refusal.Detail);
        if (http.Request.Path.StartsWithSegments("/api"))
        {
            await TypedResults.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail).ExecuteAsync(http);
        }
        else if (AcceptsHtml(http.Request))
        {
            await ShowErrorPageAsync(http, next, refusal.Status);
        }
        else
        {
            http.Response.Headers.CacheControl = "no-store";
            await TypedResults.Json(new Dictionary<string, string>
            {
                ["error"] = HubErrors.InvalidRequest.OAuthError,
                ["error_description"] = refusal.Detail,
            }, statusCode: refusal.Status).ExecuteAsync(http);
        }
    }

    private static async ValueTask<Refusal?> CheckAsync(HttpContext http)
    {
        var request = http.Request;
        if (!RequestText.IsAcceptable(request.Path.Value) || request.QueryString.HasValue && !RequestText.IsAcceptablePercentEncoded(request.QueryString.Value))
        {
            return Malformed;
        }
        // The server stops reading a body sent in chunks at the limit; one that announces its length is refused at once.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            return TooLarge;
        }
        if (request.ContentType is not { } contentType || request.ContentLength == 0)
        {
            return null;
        }
        if (!IsUtf8(contentType))
        {
            return NotUtf8;
        }
        var urlEncoded = contentType.StartsWith(FormContentType, StringComparison.OrdinalIgnoreCase);
        if (!urlEncoded && !contentType.StartsWith(MultipartContentType, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (!request.HasFormContentType)
        {
            return NotUtf8;
        }
        try
        {
            if (urlEncoded && await ReadUrlEncodedBodyAsync(request) is { } refused)
            {
                return refused;
            }
            // Parsed once here, kept for every later reader; its limits (FormOptions) would otherwise fail them later.
            var form = await request.ReadFormAsync(http.RequestAborted);
            return urlEncoded || IsAcceptable(form) ? null : Malformed;
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException)
        {
            // Over FormOptions' limits, or a multipart body cut short.
            return UnreadableForm;
        }
        catch (BadHttpRequestException exception)
        {
            return exception.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge : UnreadableForm;
        }
    }

    /// <summary>
    /// Reads the whole body without consuming it, and checks it as it was sent: once decoded, an invalid UTF-8 escape
    /// could no longer be told from text. The form reader then parses the same buffered bytes.
    /// </summary>
    private static async ValueTask<Refusal?> ReadUrlEncodedBodyAsync(HttpRequest request)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(request.HttpContext.RequestAborted);
            var body = result.Buffer;
            if (body.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(body.Start, body.End);
                return TooLarge;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                var acceptable = RequestText.IsAcceptablePercentEncoded(body);
                reader.AdvanceTo(body.Start);
                return acceptable ? null : Malformed;
            }
            reader.AdvanceTo(body.Start, body.End);
        }
    }

    private static bool IsAcceptable(IFormCollection form)
    {
        foreach (var (name, values) in form)
        {
            if (!RequestText.IsAcceptable(name))
            {
                return false;
            }
            foreach (var value in values)
            {
                if (!RequestText.IsAcceptable(value))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>UTF-8 unless a charset says otherwise (US-ASCII is a part of it). Read only when the header has parameters.</summary>
    private static bool IsUtf8(string contentType)
    {
        if (!contentType.Contains(';', StringComparison.Ordinal))
        {
            return true;
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        var charset = HeaderUtilities.RemoveQuotes(parsed.Charset);
        return charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase) || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase);
    }

    private static bool AcceptsHtml(HttpRequest request)
    {
        foreach (var accept in request.Headers.Accept)
        {
            if (accept?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The error page, with the refusal's status, as for a GET without parameters: nothing of the refused request is
    /// read again (the rest of the pipeline sees the page's path, no query, an empty form).
    /// </summary>
    private static async Task ShowErrorPageAsync(HttpContext http, RequestDelegate next, int status)
    {
        http.Response.StatusCode = status;
        http.Request.Method = HttpMethods.Get;
        http.Request.Path = "/error/" + HubErrors.InvalidRequest.Code;
        http.Request.QueryString = QueryString.Empty;
        http.Features.Set<IFormFeature>(new FormFeature(FormCollection.Empty));
        await next(http);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Malformed request refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string reason);
}
