using IdentityHub.Audit;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Protocol;

/// <summary>
/// OpenIddict's token store with a cheaper insert, the one write of every token request (a grant writes one row per
/// code, access or refresh token it issues). Going through the change tracker costs about a third of the server's CPU
/// for a client_credentials grant (change detection, graph attach, batch planning for a single row); the same row
/// is written with one plain INSERT on PostgreSQL. The row and its columns are the ones OpenIddict would write, so
/// revocation, introspection and replay detection read it as before. The new row is not tracked. Updates (a code or
/// refresh token marked redeemed, a token revoked) are one UPDATE guarded by the row's concurrency token, exactly the
/// check OpenIddict's own update makes: of two requests redeeming the same refresh token at once, one wins and the
/// other gets OpenIddict's concurrency error, so a replay is still detected.
/// Lookups by id and by reference id (every request that presents a token) run as compiled queries: OpenIddict's
/// LINQ query is rebuilt and its parameters extracted on each call, a fifth of a refresh grant's CPU.
/// </summary>
internal sealed class HubTokenStore(
    IMemoryCache cache,
    IOpenIddictEntityFrameworkCoreContext context,
    IOptionsMonitor<OpenIddictEntityFrameworkCoreOptions> options,
    HubDbContext db,
    LostRedemptions lost,
    AuditLog audit)
    : OpenIddictEntityFrameworkCoreTokenStore(cache, context, options)
{
    private static readonly CompiledQueries<Func<HubDbContext, string, CancellationToken, Task<OpenIddictEntityFrameworkCoreToken?>>> ById = new(() =>
        EF.CompileAsyncQuery((HubDbContext context, string id, CancellationToken _) => context.Set<OpenIddictEntityFrameworkCoreToken>()
            .Include(t => t.Application).Include(t => t.Authorization).AsTracking().FirstOrDefault(t => t.Id == id)));

    private static readonly CompiledQueries<Func<HubDbContext, string, CancellationToken, Task<OpenIddictEntityFrameworkCoreToken?>>> ByReferenceId = new(() =>
        EF.CompileAsyncQuery((HubDbContext context, string referenceId, CancellationToken _) => context.Set<OpenIddictEntityFrameworkCoreToken>()
            .Include(t => t.Application).Include(t => t.Authorization).AsTracking().FirstOrDefault(t => t.ReferenceId == referenceId)));

    // Rows this request created with plain SQL, so not tracked by the DbContext: a reference token (an authorization code,
    // the federation client's state token) is looked up by id right after it is created, to attach its payload.
    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreToken> inserted = new(StringComparer.Ordinal);

    // Reference tokens created without their payload, which OpenIddict attaches a moment later in the same request,
    // before the token leaves the hub: their row is written once, with the payload, instead of an INSERT then an UPDATE.
    private readonly HashSet<string> awaitingPayload = new(StringComparer.Ordinal);

    public override async ValueTask<OpenIddictEntityFrameworkCoreToken?> FindByIdAsync(string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        return inserted.GetValueOrDefault(identifier) ?? Tracked(t => t.Id == identifier) ?? await ById.For(db)(db, identifier, cancellationToken);
    }

    public override async ValueTask<OpenIddictEntityFrameworkCoreToken?> FindByReferenceIdAsync(string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        return inserted.Values.FirstOrDefault(t => t.ReferenceId == identifier) ?? Tracked(t => t.ReferenceId == identifier)
            ?? await ByReferenceId.For(db)(db, identifier, cancellationToken);
    }

    // As OpenIddict does: a token this request already holds is returned as is, not read again.
    private OpenIddictEntityFrameworkCoreToken? Tracked(Func<OpenIddictEntityFrameworkCoreToken, bool> match) =>
        db.ChangeTracker.Entries<OpenIddictEntityFrameworkCoreToken>().Select(e => e.Entity).FirstOrDefault(match);

    public override async ValueTask CreateAsync(OpenIddictEntityFrameworkCoreToken token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!db.IsPostgres)
        {
            foreach (var staged in audit.TakeStaged())
            {
                db.AuditEvents.Add(staged);
            }
            await base.CreateAsync(token, cancellationToken);
            return;
        }
        token.Id ??= Guid.NewGuid().ToString();
        inserted[token.Id] = token;
        if (token.Payload is null && token.Type is TokenTypeIdentifiers.Private.AuthorizationCode or TokenTypeIdentifiers.Private.StateToken)
        {
            awaitingPayload.Add(token.Id);
            return;
        }
        await InsertAsync(token, cancellationToken);
    }

    private async Task InsertAsync(OpenIddictEntityFrameworkCoreToken token, CancellationToken cancellationToken)
    {
        try
        {
            await InsertRowAsync(token, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && token.Application is not null)
        {
            // The client was removed through another instance after this one read it from its cache, and before
            // the notification arrived: the request is refused as from an unknown client (StaleClientRefusal).
            throw new ClientRemovedException(e);
        }
    }

    /// <summary>The row, and the audit events staged for it (the grant's <c>token.issued</c>): one round trip, one commit.</summary>
    private async Task InsertRowAsync(OpenIddictEntityFrameworkCoreToken token, CancellationToken cancellationToken)
    {
        const string Insert = """
            INSERT INTO "OpenIddictTokens" ("Id", "ApplicationId", "AuthorizationId", "ConcurrencyToken", "CreationDate", "ExpirationDate",
                "Payload", "Properties", "RedemptionDate", "ReferenceId", "Status", "Subject", "Type")
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """;
        object?[] values = [token.Id, token.Application?.Id, token.Authorization?.Id, token.ConcurrencyToken, token.CreationDate, token.ExpirationDate,
            token.Payload, token.Properties, token.RedemptionDate, token.ReferenceId, token.Status, token.Subject, token.Type];
        await ExecuteAsync(Insert, values, cancellationToken, audit.TakeStaged());
    }

    /// <summary>
    /// One statement on the context's connection (and transaction, if any) with positional parameters: they spare
    /// Npgsql the rewriting of named ones, and EF Core its raw-SQL command building, on every token issued or redeemed.
    /// With <paramref name="events"/>, their inserts follow in the same batch: one round trip, one commit.
    /// </summary>
    private async Task<int> ExecuteAsync(string sql, object?[] values, CancellationToken cancellationToken, IReadOnlyList<AuditEvent>? events = null)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
            if (events is not { Count: > 0 })
            {
                await using var command = new NpgsqlCommand(sql, connection) { Transaction = transaction };
                Bind(command.Parameters, values);
                return await command.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var batch = new NpgsqlBatch(connection) { Transaction = transaction };
            var row = new NpgsqlBatchCommand(sql);
            Bind(row.Parameters, values);
            batch.BatchCommands.Add(row);
            foreach (var e in events)
            {
                batch.BatchCommands.Add(AuditLog.InsertCommand(e));
            }
            return await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void Bind(NpgsqlParameterCollection parameters, object?[] values)
    {
        foreach (var value in values)
        {
            parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
    }

    public override async ValueTask UpdateAsync(OpenIddictEntityFrameworkCoreToken token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!db.IsPostgres)
        {
            try
            {
                await base.UpdateAsync(token, cancellationToken);
            }
            catch (OpenIddictExceptions.ConcurrencyException)
            {
                lost.Add(token.Id);
                throw;
            }
            return;
        }
        if (token.Id is not null && awaitingPayload.Remove(token.Id))
        {
            token.ConcurrencyToken = Guid.NewGuid().ToString();
            await InsertAsync(token, cancellationToken);
            return;
        }
        var expected = token.ConcurrencyToken;
        var next = Guid.NewGuid().ToString();
        var updated = await ExecuteAsync("""
            UPDATE "OpenIddictTokens" SET "ApplicationId" = $1, "AuthorizationId" = $2, "ConcurrencyToken" = $3, "CreationDate" = $4,
                "ExpirationDate" = $5, "Payload" = $6, "Properties" = $7, "RedemptionDate" = $8, "ReferenceId" = $9, "Status" = $10,
                "Subject" = $11, "Type" = $12
            WHERE "Id" = $13 AND "ConcurrencyToken" IS NOT DISTINCT FROM $14
            """,
            [token.Application?.Id, token.Authorization?.Id, next, token.CreationDate, token.ExpirationDate, token.Payload, token.Properties,
                token.RedemptionDate, token.ReferenceId, token.Status, token.Subject, token.Type, token.Id, expected],
            cancellationToken);
        if (updated == 0)
        {
            lost.Add(token.Id);
            throw new OpenIddictExceptions.ConcurrencyException(
                "The token was changed by another request since it was read (for example a refresh token redeemed twice at once).");
        }
        token.ConcurrencyToken = next;
        // The entity stays tracked as read: what was just written becomes its original state, so a later
        // SaveChanges in this request does not write it again with the old concurrency token.
        if (db.ChangeTracker.Entries<OpenIddictEntityFrameworkCoreToken>().FirstOrDefault(e => ReferenceEquals(e.Entity, token)) is { } entry)
        {
            entry.OriginalValues.SetValues(entry.CurrentValues);
            entry.State = EntityState.Unchanged;
        }
    }
}

/// <summary>The client a token was being written for no longer exists.</summary>
internal sealed class ClientRemovedException(Exception inner) : Exception("The client was removed while the request was served.", inner);

/// <summary>
/// Tokens this request failed to update because another request changed them first. OpenIddict swallows that failure
/// when a refresh token is redeemed (to tolerate clients that retry); <see cref="ProtocolHandlers.RefuseRefreshTokenRedeemedTwiceAtOnce"/>
/// reads it to refuse the second use instead.
/// </summary>
internal sealed class LostRedemptions
{
    private readonly HashSet<string> ids = new(StringComparer.Ordinal);

    public void Add(string? id)
    {
        if (id is not null)
        {
            ids.Add(id);
        }
    }

    public bool Contains(string id) => ids.Contains(id);
}
