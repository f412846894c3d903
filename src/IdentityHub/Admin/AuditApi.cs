using System.Globalization;
using IdentityHub.Audit;
using IdentityHub.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Admin;

/// <summary>A write request that names the resource it creates, for the audit event of the change.</summary>
public interface IAuditedRequest
{
    string? AuditedId { get; }
}

/// <summary>One audit event as the admin API shows it (CONTRACT section 6).</summary>
public sealed record AuditEventResponse
{
    public Guid Id { get; init; }
    public DateTimeOffset Time { get; init; }
    public required string Type { get; init; }
    public string? Actor { get; init; }
    public string? Subject { get; init; }
    public string? Client { get; init; }
    public string? Source { get; init; }
    public string? Level { get; init; }
    public string? Ip { get; init; }
    public required string Outcome { get; init; }
    public string? Detail { get; init; }
    public string? TraceId { get; init; }

    /// <summary>The event's place in the chain; null for the few seconds before it is sealed.</summary>
    public long? Sequence { get; init; }
}

public sealed record AuditPage(IReadOnlyList<AuditEventResponse> Items, int Page, int PageSize, long Total);

/// <summary>/api/admin/v1/audit, and the <c>admin.change</c> event every write of the admin API leaves (docs/integration.md, "Audit").</summary>
internal static class AuditApi
{
    public const int MaxPageSize = 200;

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAsync).WithTags("Audit")
            .WithSummary("Audit events, newest first, archived ones included; filter by time (from, to: ISO 8601), actor and type");
        return api;
    }

    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListAsync(HubDbContext db, string? from, string? to, string? actor, string? type,
        string? page, string? pageSize, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var since = Time(errors, "from", from);
        var until = Time(errors, "to", to);
        if (type is not null && !AuditTypes.All.Contains(type))
        {
            errors.Add("type", $"'{type}' is not an audit event type: {string.Join(", ", AuditTypes.All.Order(StringComparer.Ordinal))}.");
        }
        var number = Number(errors, "page", page, 1, 1, int.MaxValue);
        var size = Number(errors, "pageSize", pageSize, 50, 1, MaxPageSize);
        if (errors.Any)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var events = Filter(db.AuditEvents.AsNoTracking(), since, until, actor, type).Select(Response)
            .Concat(Filter(db.ArchivedAuditEvents.AsNoTracking(), since, until, actor, type).Select(Response));
        var total = await events.LongCountAsync(cancellationToken);
        var items = await events.OrderByDescending(e => e.Time).ThenByDescending(e => e.Id)
            .Skip((int)Math.Min((long)(number - 1) * size, int.MaxValue)).Take(size).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AuditPage(items, number, size, total));
    }

    // A member-initialised projection: EF Core can put the two tables' rows in one UNION ALL only with one.
    private static readonly System.Linq.Expressions.Expression<Func<AuditRecord, AuditEventResponse>> Response = e => new AuditEventResponse
    {
        Id = e.Id,
        Time = e.Time,
        Type = e.Type,
        Actor = e.Actor,
        Subject = e.Subject,
        Client = e.Client,
        Source = e.Source,
        Level = e.Level,
        Ip = e.Ip,
        Outcome = e.Outcome,
        Detail = e.Detail,
        TraceId = e.TraceId,
        Sequence = e.Sequence,
    };

    private static IQueryable<T> Filter<T>(IQueryable<T> events, DateTimeOffset? from, DateTimeOffset? to, string? actor, string? type) where T : AuditRecord
    {
        if (from is { } f)
        {
            events = events.Where(e => e.Time >= f);
        }
        if (to is { } t)
        {
            events = events.Where(e => e.Time < t);
        }
        if (actor is not null)
        {
            events = events.Where(e => e.Actor == actor);
        }
        if (type is not null)
        {
            events = events.Where(e => e.Type == type);
        }
        return events;
    }

    private static DateTimeOffset? Time(ValidationErrors errors, string field, string? value)
    {
        if (value is null)
        {
            return null;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }
        errors.Add(field, $"'{value}' is not a date and time (ISO 8601, for example 2026-12-01T00:00:00Z).");
        return null;
    }

    private static int Number(ValidationErrors errors, string field, string? value, int fallback, int min, int max)
    {
        if (value is null)
        {
            return fallback;
        }
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }
        errors.Add(field, $"'{value}' must be a whole number from {min} to {max}.");
        return fallback;
    }

    /// <summary>
    /// Every write of the admin API is an <c>admin.change</c> event. It joins the request's change tracker before the
    /// endpoint runs, so the endpoint's own <c>SaveChanges</c> (inside its transaction, if it has one) commits both or
    /// neither; a refused write leaves none; an endpoint that changes rows by plain statements gets it saved after.
    /// </summary>
    public static async ValueTask<object?> RecordChangeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method))
        {
            return await next(context);
        }
        var audit = http.RequestServices.GetRequiredService<AuditLog>();
        var db = http.RequestServices.GetRequiredService<HubDbContext>();
        var path = http.Request.Path.Value ?? "";
        var named = context.Arguments.OfType<IAuditedRequest>().FirstOrDefault()?.AuditedId;
        var subject = path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : path;
        var client = ClientOf(http);
        var entry = new AuditEntry(AuditTypes.AdminChange)
        {
            Actor = client is null ? null : AuditEntry.ClientRef(client),
            Client = client,
            Subject = HttpMethods.IsPost(http.Request.Method) && named is { Length: > 0 } ? $"{subject.TrimEnd('/')}/{named}" : subject,
            Detail = $"{http.Request.Method} {path}",
        };
        var recorded = audit.Add(entry);
        var result = await next(context);
        var state = db.Entry(recorded).State;
        if (StatusOf(result, http) >= 400)
        {
            if (state == EntityState.Added)
            {
                db.Entry(recorded).State = EntityState.Detached;
            }
            return result;
        }
        if (state != EntityState.Unchanged && !await db.AuditEvents.AnyAsync(e => e.Id == recorded.Id, http.RequestAborted))
        {
            if (state == EntityState.Detached)
            {
                db.AuditEvents.Add(recorded);
            }
            await db.SaveChangesAsync(CancellationToken.None);
        }
        return result;
    }

    private const string Prefix = "/api/admin/v1/";

    /// <summary>The admin client whose token the request carries.</summary>
    public static string? ClientOf(HttpContext http) => http.User.GetClaim(Claims.ClientId) ?? http.User.GetClaim(Claims.Subject);

    // A body that does not bind is refused by setting the response's status, with no result of the endpoint's own.
    private static int StatusOf(object? result, HttpContext http) => (result is INestedHttpResult nested ? nested.Result : result) switch
    {
        IStatusCodeHttpResult { StatusCode: { } code } => code,
        _ => http.Response.StatusCode,
    };
}
