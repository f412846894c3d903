using Microsoft.Extensions.Options;
using SampleDataProvider;

var explicitEnvironment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT");
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // Environment variables (and a test host's --environment) win over the launch profile, as for the hub.
    EnvironmentName = explicitEnvironment is null && !args.Any(a => a.StartsWith("--environment", StringComparison.Ordinal))
        ? Environment.GetEnvironmentVariable("HUB_DEFAULT_ENVIRONMENT") : null,
});
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://localhost:5095");
}
builder.Services.AddOptions<ProviderSettings>().BindConfiguration(ProviderSettings.Section);
builder.Services.AddProblemDetails();
builder.Services.AddHttpClient<Introspection>(client => client.Timeout = TimeSpan.FromSeconds(5));

var app = builder.Build();
app.MapGet("/", () => Results.Text("Sample data provider (tax office): GET /declared-income with a bearer access token for this resource."));
app.MapGet("/declared-income", DeclaredIncome.HandleAsync);
app.Run();

/// <summary>
/// The one API of the tax office: the declaration of the person a token is about, for a service the person allowed
/// to read it (docs/integration.md, "Data providers").
/// </summary>
internal static partial class DeclaredIncome
{
    public static async Task<IResult> HandleAsync(HttpContext http, Introspection introspection, IOptions<ProviderSettings> settings, IConfiguration configuration,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var options = settings.Value;
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return Refuse(http, StatusCodes.Status401Unauthorized, "Bearer", "An access token for this resource is required.");
        }
        TokenFacts facts;
        try
        {
            facts = await introspection.AskAsync(header[7..].Trim(), cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            LogHubUnreachable(loggers.CreateLogger("DeclaredIncome"), exception.Message);
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The identity hub could not be reached to check the token.");
        }
        // The hub answers inactive for a token of another audience, expired, revoked or withdrawn; the checks below
        // hold even if it did not.
        if (!facts.Active || !facts.Audiences.Contains(options.Resource, StringComparer.Ordinal))
        {
            return Refuse(http, StatusCodes.Status401Unauthorized, "Bearer error=\"invalid_token\"", "The access token is not active for this resource.");
        }
        if (!facts.Scopes.Contains(options.Scope, StringComparer.Ordinal))
        {
            return Refuse(http, StatusCodes.Status403Forbidden, $"Bearer error=\"insufficient_scope\", scope=\"{options.Scope}\"", "The person did not agree to share their declared income.");
        }
        var key = facts.IdentityNumber ?? facts.Subject;
        var declaration = key is null ? null : configuration.GetSection("Records").GetSection(key).Get<Declaration>();
        return declaration is null
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "The tax office holds no declaration for this person.")
            : Results.Json(new { declaration.Year, declaration.DeclaredIncome, declaration.Currency, requestedBy = facts.ClientId });
    }

    private static IResult Refuse(HttpContext http, int status, string challenge, string title)
    {
        http.Response.Headers.WWWAuthenticate = challenge;
        return Results.Problem(statusCode: status, title: title);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The hub's introspection endpoint failed: {Reason}")]
    private static partial void LogHubUnreachable(ILogger logger, string reason);
}
