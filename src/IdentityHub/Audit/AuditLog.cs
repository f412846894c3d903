using IdentityHub.Data;
using IdentityHub.Errors;
using Npgsql;

namespace IdentityHub.Audit;

/// <summary>The event types of CONTRACT section 6.</summary>
public static class AuditTypes
{
    public const string LoginSucceeded = "login.succeeded";
    public const string LoginFailed = "login.failed";
    public const string AccountLocked = "account.locked";
    public const string TokenIssued = "token.issued";
    public const string ConsentGranted = "consent.granted";
    public const string ConsentWithdrawn = "consent.withdrawn";
    public const string DataReleased = "data.released";
    public const string Logout = "logout";
    public const string KeyRotated = "key.rotated";
    public const string AdminChange = "admin.change";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        LoginSucceeded, LoginFailed, AccountLocked, TokenIssued, ConsentGranted, ConsentWithdrawn, DataReleased, Logout, KeyRotated, AdminChange,
    };
}

public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Failure = "failure";
}

/// <summary>What a feature says happened; the log adds the time, the request's IP address and trace id, and the MAC.</summary>
public sealed record AuditEntry(string Type, string Outcome = AuditOutcomes.Success)
{
    public string? Actor { get; init; }
    public string? Subject { get; init; }
    public string? Client { get; init; }
    public string? Source { get; init; }
    public string? Level { get; init; }
    public string? Detail { get; init; }

    public static string Person(Guid id) => $"person:{id:D}";
    public static string ClientRef(string clientId) => $"client:{clientId}";
}

/// <summary>
/// Records audit events in the request's <see cref="HubDbContext"/>: <see cref="Add"/> leaves the event to the
/// caller's next <c>SaveChanges</c>, so it commits (or not) with what it records, in the same round trip;
/// <see cref="WriteAsync"/> saves it at once, for a caller whose change is made by a plain statement.
/// </summary>
public sealed class AuditLog(HubDbContext db, AuditChain chain, TimeProvider time, IHttpContextAccessor http)
{
    // Events waiting for the next token row (Stage).
    private List<AuditEvent>? _staged;

    public AuditEvent Add(AuditEntry entry)
    {
        var record = Create(entry);
        db.AuditEvents.Add(record);
        return record;
    }

    /// <summary>
    /// For the token path, whose rows are written by plain statements (Protocol/HubTokenStore): the event goes with the
    /// next token row the request writes, in the same statement batch and commit, instead of a write of its own.
    /// </summary>
    public void Stage(AuditEntry entry) => (_staged ??= []).Add(Create(entry));

    /// <summary>The staged events, once: the caller writes them with its own row.</summary>
    public IReadOnlyList<AuditEvent> TakeStaged()
    {
        var staged = _staged;
        _staged = null;
        return staged ?? [];
    }

    private const string InsertSql = $"INSERT INTO \"{AuditEventConfiguration.EventsTable}\" ({AuditEventConfiguration.ContentColumns}) " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

    /// <summary>The insert of <paramref name="e"/>, to join a batch of statements on PostgreSQL.</summary>
    public static NpgsqlBatchCommand InsertCommand(AuditEvent e)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        foreach (var value in (ReadOnlySpan<object?>)[e.Id, e.Time, e.Type, e.Actor, e.Subject, e.Client, e.Source, e.Level, e.Ip, e.Outcome, e.Detail, e.TraceId, e.Mac])
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
        return command;
    }

    private AuditEvent Create(AuditEntry entry)
    {
        var request = http.HttpContext;
        var record = new AuditEvent
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            Time = AuditChain.Stored(time.GetUtcNow()),
            Type = entry.Type,
            Actor = Clip(entry.Actor, 200),
            Subject = Clip(entry.Subject, 300),
            Client = Clip(entry.Client, 200),
            Source = Clip(entry.Source, 100),
            Level = Clip(entry.Level, 20),
            Ip = request?.Connection.RemoteIpAddress?.ToString(),
            Outcome = entry.Outcome,
            Detail = Clip(entry.Detail, 1000),
            TraceId = request is null ? null : HubErrors.TraceId(request),
            Mac = [],
        };
        record.Mac = chain.ContentMac(record);
        return record;
    }

    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        Add(entry);
        await db.SaveChangesAsync(cancellationToken);
    }

    // Values come from the hub's own data (ids, client ids, error codes), bounded to the columns; a longer one is cut, not refused.
    private static string? Clip(string? value, int length) => value is { Length: var n } && n > length ? value[..length] : value;
}
