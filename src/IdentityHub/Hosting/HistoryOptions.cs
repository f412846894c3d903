using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace IdentityHub.Hosting;

/// <summary><c>Hub:History</c>: how long the connection history and the live audit table keep a record (docs/integration.md, "Configuration and operations").</summary>
public sealed class HistoryOptions
{
    public const string Section = "Hub:History";

    /// <summary>A login older than this many days leaves the history (purged by the expired-records job).</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 365;

    public TimeSpan Retention => TimeSpan.FromDays(RetentionDays);
}

[OptionsValidator]
public sealed partial class HistoryOptionsValidator : IValidateOptions<HistoryOptions>;
