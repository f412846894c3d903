using System.Text.Encodings.Web;
using System.Text.Unicode;
using IdentityHub.Data;
using IdentityHub.Errors;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace IdentityHub.Hosting;

/// <summary>What every feature stands on: options, the database, the key ring, pages, health, and the request pipeline's frame.</summary>
internal static class HostingSetup
{
    public static WebApplicationBuilder AddHubHosting(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<HubOptions, HubOptionsValidator>(HubOptions.Section);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<KeySchedule>();
        builder.AddHubDatabase();

        var hub = HubEnvironment.Options(builder);
        builder.Services.AddSingleton(HubEnvironment.ResolveIssuer(hub, builder.Configuration));
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("IdentityHub");
        if (hub.DataProtection.Store == DataProtectionStore.FileSystem)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(hub.DataProtection.Path));
        }
        else
        {
            // Shared by every instance: a cookie or token protected by one is readable by all.
            dataProtection.PersistKeysToDbContext<HubDbContext>();
        }

        builder.Services.AddRazorPages();
        // Vietnamese and French text is written as characters, not as numeric entities.
        builder.Services.AddSingleton(HtmlEncoder.Create(UnicodeRanges.All));
        builder.Services.AddOptions<ExpiredRecordsCleanupOptions>();
        builder.Services.AddHostedService<ExpiredRecordsCleanup>();

        builder.Services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// The outermost middleware: unexpected failures become the error page, every response carries the security headers,
    /// and a malformed request goes no further (<see cref="RequestGuard"/>).
    /// </summary>
    public static WebApplication UseHubHosting(this WebApplication app)
    {
        var issuer = app.Services.GetRequiredService<HubIssuer>();
        if (issuer.PathBase.Length > 0)
        {
            app.Use(PublicPathBase.For(issuer.PathBase));
        }
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler($"/error/{HubErrors.ServerError.Code}");
        }
        app.UseSecurityHeaders();
        app.UseRequestGuard();
        return app;
    }

    /// <summary>After each feature's own middleware: language, static files, endpoints, authentication and CSRF protection.</summary>
    public static WebApplication UseHubRouting(this WebApplication app)
    {
        app.UseRequestLocalization();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapHubHosting(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = check => check.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapRazorPages();
        return app;
    }

    private sealed class DatabaseHealthCheck(HubDbContext db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await db.Database.CanConnectAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The database cannot be reached.");
    }
}
