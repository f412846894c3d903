using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using IdentityHub.Admin;
using IdentityHub.Data;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace IdentityHub.Hosting;

internal static class HostingSetup
{
    public static WebApplicationBuilder AddHubHosting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);

        var hub = HubEnvironment.Options(builder);
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

        builder.Services.AddSingleton(services => LoadPairwiseKey(services));
        builder.Services.AddScoped<PairwiseSubjects>();

        builder.Services.AddRazorPages();
        // Vietnamese and French text is written as characters, not as numeric entities.
        builder.Services.AddSingleton(HtmlEncoder.Create(UnicodeRanges.All));

        builder.Services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    public static WebApplication UseHubPipeline(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error/server_error");
        }
        app.UseSecurityHeaders();
        app.Use(app.Services.GetRequiredService<Protocol.MetadataCache>().InvokeAsync);
        app.UseRequestLocalization();
        // OpenIddict errors that must not go back to a service are shown by the error page.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/connect"), branch => branch.UseStatusCodePagesWithReExecute("/error"));
        // API errors without a body (a JSON body that does not parse, for one) still get RFC 9457 problem details.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/api"), branch => branch.UseStatusCodePages());
        app.UseAdminBodyLimit();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapHubHosting(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = check => check.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }

    /// <summary>
    /// The pairwise-subject key comes from configuration. Only in Development may the hub make one up, and
    /// then it keeps it in the database (protected) so every instance and every restart derives the same subjects.
    /// </summary>
    private static PairwiseKey LoadPairwiseKey(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<HubOptions>>().Value;
        if (!string.IsNullOrEmpty(options.Subjects.PairwiseKey))
        {
            var configured = Convert.FromBase64String(options.Subjects.PairwiseKey);
            return configured.Length >= 32 ? new PairwiseKey(configured)
                : throw new OptionsValidationException(HubOptions.Section, typeof(HubOptions), ["Hub:Subjects:PairwiseKey must be at least 32 bytes, base64-encoded."]);
        }
        if (!services.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            throw new OptionsValidationException(HubOptions.Section, typeof(HubOptions),
                ["Hub:Subjects:PairwiseKey (Hub__Subjects__PairwiseKey) is required outside Development: 32 random bytes, base64-encoded."]);
        }

        const string name = "pairwise-subject-key";
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector("IdentityHub.DeploymentSecrets");
        var stored = db.DeploymentSecrets.AsNoTracking().FirstOrDefault(s => s.Name == name);
        if (stored is null)
        {
            db.DeploymentSecrets.Add(new DeploymentSecret
            {
                Name = name,
                ProtectedValue = Convert.ToBase64String(protector.Protect(RandomNumberGenerator.GetBytes(32))),
                CreatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow(),
            });
            try
            {
                db.SaveChanges();
            }
            catch (DbUpdateException)
            {
                // Another instance stored one first.
            }
            db.ChangeTracker.Clear();
            stored = db.DeploymentSecrets.AsNoTracking().First(s => s.Name == name);
        }
        return new PairwiseKey(protector.Unprotect(Convert.FromBase64String(stored.ProtectedValue)));
    }

    private sealed class DatabaseHealthCheck(HubDbContext db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await db.Database.CanConnectAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The database cannot be reached.");
    }
}
