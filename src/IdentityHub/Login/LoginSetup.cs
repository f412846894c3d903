using IdentityHub.Data;
using IdentityHub.Hosting;

namespace IdentityHub.Login;

internal static class LoginSetup
{
    public static WebApplicationBuilder AddLogin(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<LoginJourneys>();
        builder.Services.AddScoped<AuthenticationStep>();
        builder.Services.AddScoped<ConsentStep>();
        builder.Services.AddScoped<ActingForStep>();
        builder.Services.AddScoped<IExpiredRecords, ExpiredJourneys>();
        return builder;
    }

    public static WebApplication MapLogin(this WebApplication app)
    {
        // The end of a journey for one of the hub's own pages (LoginJourneys.HubPageAsync).
        app.MapGet("/login/return", async (HttpContext http, LoginJourneys journeys, CancellationToken cancellationToken) =>
            Results.Redirect(await journeys.ReturnToHubPageAsync(http, http.Request.Query[LoginJourneys.ResumeParameter], cancellationToken)))
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>Journeys past their 15 minutes: nothing can resume them any more.</summary>
    private sealed class ExpiredJourneys(HubDbContext db) : IExpiredRecords
    {
        public Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken) =>
            batches.DeleteAsync(db.LoginJourneys.Where(j => j.ExpiresAt < now), j => j.Id, cancellationToken);
    }
}
