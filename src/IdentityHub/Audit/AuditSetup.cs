using IdentityHub.Hosting;

namespace IdentityHub.Audit;

internal static class AuditSetup
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<AuditChain>();
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<AuditVerifier>();
        builder.Services.AddOptions<AuditSealerOptions>();
        builder.Services.AddSingleton<AuditSealer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AuditSealer>());
        builder.Services.AddScoped<IExpiredRecords, AuditRetention>();
        return builder;
    }
}

/// <summary>
/// <c>IdentityHub audit verify</c>: checks the chain without starting the web host, beside running hubs if need be
/// (CONTRACT section 6). Exit 0 intact, 1 broken, 2 when the trail cannot be read at all.
/// </summary>
public static class AuditCommand
{
    public static async Task<int> VerifyAsync(IServiceProvider services, TextWriter output, TextWriter error)
    {
        AuditVerification result;
        try
        {
            await using var scope = services.CreateAsyncScope();
            result = await scope.ServiceProvider.GetRequiredService<AuditVerifier>().VerifyAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            await error.WriteLineAsync($"audit verify could not read the audit trail: {exception.Message}");
            return 2;
        }
        if (!result.Intact)
        {
            await output.WriteLineAsync(result.EventId is { } id
                ? $"audit chain broken: event {id} {result.Problem} (after {result.Events} intact events)"
                : $"audit chain broken: {result.Problem} (after {result.Events} intact events)");
            return 1;
        }
        await output.WriteLineAsync($"audit chain intact: {result.Events} events");
        if (result.Unsealed > 0)
        {
            await error.WriteLineAsync($"{result.Unsealed} newer events are not sealed yet; their own MACs are intact.");
        }
        if (result.StaleSince is { } since)
        {
            await error.WriteLineAsync($"warning: an event from {since:O} is still not sealed after {AuditVerifier.SealingBound.TotalMinutes:0} minutes: is any hub running?");
        }
        return 0;
    }
}
