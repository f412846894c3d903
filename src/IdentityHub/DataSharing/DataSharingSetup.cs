using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.Extensions.Options;

namespace IdentityHub.DataSharing;

internal static class DataSharingSetup
{
    public static WebApplicationBuilder AddDataSharing(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<DataProviders>();
        builder.Services.AddScoped<IExpiredRecords, ExpiredReleases>();
        return builder;
    }

    /// <summary>Releases leave the person's dashboard with their connection history (<c>Hub:History:RetentionDays</c>); the audit trail keeps its events.</summary>
    private sealed class ExpiredReleases(HubDbContext db, IOptions<HistoryOptions> history) : IExpiredRecords
    {
        public Task DeleteAsync(DateTimeOffset now, ExpiredRecordsBatches batches, CancellationToken cancellationToken)
        {
            var forgotten = now - history.Value.Retention;
            return batches.DeleteAsync(db.DataReleases.Where(r => r.At < forgotten), r => r.Id, cancellationToken);
        }
    }
}
