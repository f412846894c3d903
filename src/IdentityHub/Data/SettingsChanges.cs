using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using IdentityHub.IdentitySources;
using IdentityHub.Protocol;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdentityHub.Data;

/// <summary>
/// Settings that rarely change and are read on every login (a service's own row, the identity sources), kept between
/// requests (docs/design.md, "Token hot path"). Correct across instances through the same PostgreSQL LISTEN/NOTIFY
/// channel as the client definitions: every write to those rows notifies on commit (<see cref="SettingsChangeInterceptor"/>),
/// each instance moves its <see cref="Generation"/> when a notification arrives, and a copy made in an older generation
/// is not used. Nothing is kept while the instance is not listening (before the listener connects, after it fails,
/// and on SQLite).
/// </summary>
public sealed class SettingsChanges
{
    public const string Channel = "identityhub_clients";

    private long generation;
    private volatile bool listening;

    public bool Listening => listening;

    /// <summary>Read before loading what is to be kept; a copy is good only as long as the generation has not moved.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public void Changed() => Interlocked.Increment(ref generation);

    public void SetListening(bool value)
    {
        listening = value;
        Changed();
    }

    /// <summary>One value kept for the current generation, for instance every identity source.</summary>
    public sealed class Kept<T>(SettingsChanges changes) where T : class
    {
        private sealed record Entry(long Generation, T Value);

        private Entry? entry;

        public bool TryGet(out T value)
        {
            var current = Volatile.Read(ref entry);
            value = current?.Value!;
            return changes.Listening && current is not null && current.Generation == changes.Generation;
        }

        public void Store(long seenGeneration, T value)
        {
            if (changes.Listening && seenGeneration == changes.Generation)
            {
                Volatile.Write(ref entry, new Entry(seenGeneration, value));
            }
        }

        /// <summary>The kept value, or <paramref name="load"/>'s, kept unless a change came in while it was loading.</summary>
        public async Task<T> GetAsync(Func<CancellationToken, Task<T>> load, CancellationToken cancellationToken)
        {
            if (TryGet(out var value))
            {
                return value;
            }
            var seen = changes.Generation;
            value = await load(cancellationToken);
            Store(seen, value);
            return value;
        }
    }

    /// <summary>Values kept by key for the current generation, for instance each service's settings.</summary>
    public sealed class KeptByKey<T>(SettingsChanges changes) where T : class
    {
        private sealed record Entry(long Generation, T Value);

        private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

        public bool TryGet(string key, out T value)
        {
            value = null!;
            if (!changes.Listening || !entries.TryGetValue(key, out var current) || current.Generation != changes.Generation)
            {
                return false;
            }
            value = current.Value;
            return true;
        }

        public void Store(long seenGeneration, string key, T value)
        {
            if (!changes.Listening || seenGeneration != changes.Generation)
            {
                return;
            }
            // An entry of an older generation stays until its key is stored again: at most one per service.
            entries[key] = new Entry(seenGeneration, value);
        }

        /// <summary>
        /// The value kept for <paramref name="key"/>, or <paramref name="load"/>'s. Nothing found is not kept: the row
        /// may be on its way.
        /// </summary>
        public async Task<T?> GetAsync(string key, Func<CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
        {
            if (TryGet(key, out var value))
            {
                return value;
            }
            var seen = changes.Generation;
            var loaded = await load(cancellationToken);
            if (loaded is not null)
            {
                Store(seen, key, loaded);
            }
            return loaded;
        }
    }
}

/// <summary>
/// Announces every saved change to a service's or an identity source's row: this instance moves its generation at
/// once, and every instance when the change commits (a notification sent inside a transaction is delivered at commit,
/// and never if it rolls back). Bulk statements (ExecuteDelete) bypass it: they call <see cref="NotifyAsync"/>.
/// </summary>
internal sealed class SettingsChangeInterceptor(SettingsChanges changes) : SaveChangesInterceptor
{
    private static readonly ConditionalWeakTable<DbContext, object> Pending = [];
    private static readonly object Marker = new();

    public static async Task NotifyAsync(DbContext db, SettingsChanges changes, CancellationToken cancellationToken)
    {
        changes.Changed();
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_notify('{SettingsChanges.Channel}', '')", cancellationToken);
        }
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Mark(eventData.Context);
        return base.SavingChangesAsync(eventData, result, cancellationToken);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Mark(eventData.Context);
        return base.SavingChanges(eventData, result);
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && Pending.Remove(context))
        {
            await NotifyAsync(context, changes, cancellationToken);
        }
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context is { } context && Pending.Remove(context))
        {
            NotifyAsync(context, changes, CancellationToken.None).GetAwaiter().GetResult();
        }
        return result;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            Pending.Remove(context);
        }
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    private static void Mark(DbContext? context)
    {
        if (context is null)
        {
            return;
        }
        // This runs before SaveChanges detects changes: only the entries of the kept kinds are looked at, each on its own.
        var tracker = context.ChangeTracker;
        var detecting = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            if (tracker.Entries().Any(Touches))
            {
                Pending.AddOrUpdate(context, Marker);
            }
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detecting;
        }
    }

    private static bool Touches(EntityEntry entry)
    {
        if (entry.Entity is not (IdentitySource or RelyingParty))
        {
            return false;
        }
        entry.DetectChanges();
        return entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted;
    }
}
