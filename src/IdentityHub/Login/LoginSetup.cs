using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Login;

internal static class LoginSetup
{
    public static WebApplicationBuilder AddLogin(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<LoginJourneys>();
        builder.Services.AddScoped<AuthenticationStep>();
        builder.Services.AddScoped<IExpiredRecords, ExpiredJourneys>();
        return builder;
    }

    /// <summary>Journeys past their 15 minutes: nothing can resume them any more.</summary>
    private sealed class ExpiredJourneys(HubDbContext db) : IExpiredRecords
    {
        public async Task DeleteAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
            await db.LoginJourneys.Where(j => j.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
    }
}
