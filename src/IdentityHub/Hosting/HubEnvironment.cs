namespace IdentityHub.Hosting;

internal static class HubEnvironment
{
    public const string DefaultUrl = "http://localhost:5080";

    /// <summary>
    /// Builds the host so that environment variables always win over the launch profile: the profile only
    /// supplies a fallback environment name, and the listen address falls back to the contract's default.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var explicitEnvironment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT");
        var fallback = Environment.GetEnvironmentVariable("HUB_DEFAULT_ENVIRONMENT");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            EnvironmentName = explicitEnvironment is null && !args.Any(a => a.StartsWith("--environment", StringComparison.Ordinal)) ? fallback : null,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        return builder;
    }

    /// <summary>The Hub section as configured, for set-up code that runs before the options container exists.</summary>
    public static HubOptions Options(WebApplicationBuilder builder) =>
        builder.Configuration.GetSection(HubOptions.Section).Get<HubOptions>() ?? new HubOptions();

    /// <summary>The issuer as configured, else the first listen address as written (wildcards made reachable).</summary>
    public static HubIssuer ResolveIssuer(HubOptions options, IConfiguration configuration)
    {
        if (!string.IsNullOrEmpty(options.Issuer))
        {
            return new HubIssuer(options.Issuer);
        }
        var first = (configuration["urls"] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries)[0];
        // Wildcard listen addresses are not URLs a client can reach.
        first = first.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal);
        return new HubIssuer(first);
    }

    public static bool RequireHttps(HubOptions options, IHostEnvironment environment) =>
        options.RequireHttps ?? !environment.IsDevelopment();

    public static bool SeedDemo(HubOptions options, IHostEnvironment environment) =>
        options.Seed.Demo ?? environment.IsDevelopment();
}
