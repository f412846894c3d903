namespace SampleRelyingParty.Hosting;

internal static class ServiceEnvironment
{
    public const string DefaultUrl = "http://localhost:5090";

    /// <summary>
    /// Same rule as the hub: environment variables always win over the launch profile, which only supplies
    /// a fallback environment name; the listen address falls back to the one registered at the hub.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var explicitEnvironment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT");
        var fallback = Environment.GetEnvironmentVariable("HUB_DEFAULT_ENVIRONMENT");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // An explicit --environment argument (WebApplicationFactory passes one) wins as well.
            EnvironmentName = explicitEnvironment is null && !args.Any(a => a.StartsWith("--environment", StringComparison.Ordinal)) ? fallback : null,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        return builder;
    }
}
