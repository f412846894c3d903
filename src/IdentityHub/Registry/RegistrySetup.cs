using Fido2NetLib;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Registry;

internal static class RegistrySetup
{
    public static WebApplicationBuilder AddRegistry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPasswordHasher<RegistryAccount>, PasswordHasher<RegistryAccount>>();
        builder.Services.AddSingleton<RegistrySecrets>();
        builder.Services.AddScoped<PasswordSignIn>();
        builder.Services.AddScoped<AccountLocks>();
        builder.Services.AddScoped<CodeAttempts>();
        builder.Services.AddScoped<Authenticator>();
        builder.Services.AddScoped<RegistryLogin>();
        builder.Services.AddScoped<AccountHolders>();
        builder.Services.AddScoped<RegistryAccountData>();
        builder.Services.AddSingleton<IFido2>(services => new Fido2(Passkeys.Configuration(services.GetRequiredService<HubIssuer>())));
        builder.Services.AddScoped<Passkeys>();
        builder.Services.AddScoped<IExpiredRecords, ExpiredRegistryRecords>();
        builder.Services.AddValidatedOptions<RegistryRateLimitOptions, RegistryRateLimitOptionsValidator>(RegistryRateLimitOptions.Section);
        builder.Services.AddSingleton<RegistryRateLimits>();
        var perIp = builder.Configuration.GetSection(RegistryRateLimitOptions.Section).Get<RegistryRateLimitOptions>()?.PerIpPerMinute
            ?? new RegistryRateLimitOptions().PerIpPerMinute;
        builder.Services.AddRateLimiter(limiter => RegistryRateLimits.AddPolicy(limiter, perIp));
        return builder;
    }

    /// <summary>
    /// The registry's forms answer a refused request (a 429, a missing antiforgery token) with the error page, not an
    /// empty body; the rate limiter runs after routing, where it sees the pages' policy.
    /// </summary>
    public static WebApplication UseRegistry(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/registry") || http.Request.Path.StartsWithSegments("/account"),
            branch => branch.UseStatusCodePagesWithReExecute("/error/{0}"));
        return app;
    }

    /// <summary>The registry's JSON endpoints (its pages are Razor Pages under Pages/Registry).</summary>
    public static WebApplication MapRegistry(this WebApplication app)
    {
        PasskeyEndpoints.Map(app);
        return app;
    }

    /// <summary>
    /// Lock-out rows whose lock is over and whose last failure is forgiven, and second-factor steps of journeys that
    /// ended: nothing reads them any more.
    /// </summary>
    private sealed class ExpiredRegistryRecords(HubDbContext db) : IExpiredRecords
    {
        public async Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
        {
            var forgiven = now - AccountLocks.Forgiveness;
            await batches.DeleteAsync(db.SignInThrottles.Where(t => t.LastFailureAt < forgiven && (t.LockedUntil == null || t.LockedUntil < now)), t => t.Key, cancellationToken);
            await batches.DeleteAsync(db.SecondFactorChallenges.Where(c => c.ExpiresAt < now), c => c.JourneyId, cancellationToken);
            await batches.DeleteAsync(db.PasskeyCeremonies.Where(c => c.ExpiresAt < now), c => c.Id, cancellationToken);
        }
    }
}
