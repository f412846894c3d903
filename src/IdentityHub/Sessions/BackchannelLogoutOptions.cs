namespace IdentityHub.Sessions;

/// <summary><c>Hub:BackchannelLogout:*</c>: how the hub delivers logout tokens (docs/integration.md, "Logout").</summary>
public sealed class BackchannelLogoutOptions
{
    /// <summary>How often each instance looks for due deliveries (it also looks at once after a logout it handled).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one call may take; a slow service is a failed attempt, retried later.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Calls before the delivery is abandoned.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the first failure; each later one waits three times longer (10 s, 30 s, 90 s, 270 s).</summary>
    public TimeSpan FirstRetry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries one instance claims at a time.</summary>
    public int BatchSize { get; set; } = 20;
}
