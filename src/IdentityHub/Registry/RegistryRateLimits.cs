using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace IdentityHub.Registry;

/// <summary><c>Hub:Registry:RateLimits</c>: how many attempts the registry's forms take per minute.</summary>
public sealed class RegistryRateLimitOptions
{
    public const string Section = "Hub:Registry:RateLimits";

    /// <summary>
    /// Submissions of the sign-in, code, recovery and enrolment forms per client IP address and minute, counted by each
    /// instance. Generous: many citizens share a mobile operator's address.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PerIpPerMinute { get; set; } = 100;

    /// <summary>Submissions per username (known or not) and minute, counted by each instance. The lock-out is global.</summary>
    [Range(1, 1_000_000)]
    public int PerAccountPerMinute { get; set; } = 10;
}

[OptionsValidator]
public sealed partial class RegistryRateLimitOptionsValidator : IValidateOptions<RegistryRateLimitOptions>;

/// <summary>
/// ASP.NET Core's rate limiter on the registry's forms (docs/design.md, "Lock-out"): per client IP address in the
/// middleware, and per account here, where the account is known (a username typed, or the journey's person). Either
/// answers 429 with <c>Retry-After</c>. These counters are per instance; the account lock of <see cref="AccountLocks"/>
/// is what holds across instances.
/// </summary>
public sealed class RegistryRateLimits(IOptions<RegistryRateLimitOptions> options) : IDisposable
{
    public const string PolicyName = "registry-forms";

    private readonly PartitionedRateLimiter<string> _perAccount = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.PerAccountPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>
    /// Takes one attempt for the account behind <paramref name="accountKey"/> (its lock-out key). False, with how long
    /// to wait, when the account has had its attempts for this minute.
    /// </summary>
    public bool TryAcquire(string accountKey, out TimeSpan retryAfter)
    {
        using var lease = _perAccount.AttemptAcquire(accountKey);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        return lease.IsAcquired;
    }

    /// <summary>Sets the 429 answer's status and <c>Retry-After</c> (whole seconds, at least one).</summary>
    public static void Reject(HttpResponse response, TimeSpan retryAfter)
    {
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The per-address policy: one window per client IP for the registry's form submissions, nothing for reads.</summary>
    internal static void AddPolicy(RateLimiterOptions limiter, int perIpPerMinute)
    {
        limiter.AddPolicy(PolicyName, http => HttpMethods.IsPost(http.Request.Method)
            ? RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = perIpPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter("reads"));
        limiter.OnRejected = (context, _) =>
        {
            Reject(context.HttpContext.Response, context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1));
            return ValueTask.CompletedTask;
        };
    }

    public void Dispose() => _perAccount.Dispose();
}
