using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Login;
using IdentityHub.Sessions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IdentityHub.Tests.Sessions;

public sealed class ExpiredRecordsCleanupTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Cleanup_RemovesExpiredJourneysAndOldSessions_AndKeepsLiveOnes()
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = DateTimeOffset.UtcNow;
        var person = await db.People.Select(p => p.Id).FirstAsync();
        db.LoginJourneys.AddRange(Journey("expired", now.AddMinutes(-1)), Journey("live", now.AddMinutes(10)));
        db.HubSessions.AddRange(Session("old", person, now.AddDays(-2)), Session("current", person, now.AddHours(1)));
        await db.SaveChangesAsync();

        var cleanup = hub.Services.GetServices<IHostedService>().OfType<ExpiredRecordsCleanup>().Single();
        await cleanup.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["live"], await db.LoginJourneys.AsNoTracking().Where(j => j.Id == "expired" || j.Id == "live").Select(j => j.Id).ToListAsync());
        Assert.Equal(["current"], await db.HubSessions.AsNoTracking().Where(s => s.Id == "old" || s.Id == "current").Select(s => s.Id).ToListAsync());
    }

    [Fact]
    public async Task HubPages_ForbidFramingAndSniffing()
    {
        using var http = hub.CreateApiClient();
        using var response = await http.GetAsync("/");
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    private static LoginJourney Journey(string id, DateTimeOffset expires) => new()
    {
        Id = id,
        BrowserBinding = "x",
        ClientId = "sample-service",
        AuthorizeQuery = "",
        CreatedAt = expires.AddMinutes(-15),
        ExpiresAt = expires,
    };

    private static HubSession Session(string id, Guid person, DateTimeOffset expires) => new()
    {
        Id = id,
        PersonId = person,
        SourceId = "registry",
        Acr = "eidas1",
        Amr = "pwd",
        AuthenticatedAt = expires.AddHours(-1),
        CreatedAt = expires.AddHours(-1),
        ExpiresAt = expires,
    };
}
