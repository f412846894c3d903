using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Audit;

/// <summary>
/// One thing that happened, as CONTRACT section 6 lists them (docs/design.md, "Audit trail"). Written once, in the same
/// transaction as what it records; the <see cref="Mac"/> is computed by the hub when it is written, and the sealer
/// later links it into the chain (<see cref="Sequence"/>, <see cref="PreviousId"/>, <see cref="PreviousHash"/>,
/// <see cref="Hash"/>). The database lets the hub do nothing else to it: no other update, no delete except the
/// archive's move (Data/AuditTriggers).
/// </summary>
public abstract class AuditRecord
{
    /// <summary>A version 7 GUID: made by the hub before the insert, so the MAC can cover it.</summary>
    public Guid Id { get; set; }

    /// <summary>UTC, whole milliseconds (<see cref="AuditChain.Stored"/>).</summary>
    public DateTimeOffset Time { get; set; }

    public required string Type { get; set; }

    /// <summary>Who acted: <c>person:{id}</c>, <c>client:{id}</c>, <c>hub</c> for the hub's own jobs.</summary>
    public string? Actor { get; set; }

    /// <summary>Whom or what it is about: a person, a client, a key, a resource of the admin API. Never a secret.</summary>
    public string? Subject { get; set; }

    public string? Client { get; set; }
    public string? Source { get; set; }
    public string? Level { get; set; }
    public string? Ip { get; set; }

    /// <summary><c>success</c> or <c>failure</c>.</summary>
    public required string Outcome { get; set; }

    /// <summary>What else an auditor needs: the reason of a failure, the grant of a token, the change an operator made.</summary>
    public string? Detail { get; set; }

    public string? TraceId { get; set; }

    /// <summary>HMAC of every field above under the audit key (<see cref="AuditChain"/>).</summary>
    public required byte[] Mac { get; set; }

    /// <summary>Position in the chain, from 1 without gaps; null until sealed.</summary>
    public long? Sequence { get; set; }

    public Guid? PreviousId { get; set; }
    public byte[]? PreviousHash { get; set; }

    /// <summary>HMAC of the link: the previous hash, the position, the ids and this event's MAC.</summary>
    public byte[]? Hash { get; set; }
}

/// <summary>An event as the hub writes it; it stays here for <c>Hub:History:RetentionDays</c>.</summary>
public sealed class AuditEvent : AuditRecord;

/// <summary>An event moved out of <see cref="AuditEvent"/>'s table by the retention job, unchanged and still in the chain.</summary>
public sealed class ArchivedAuditEvent : AuditRecord;

/// <summary>
/// The last sealed event, under its own MAC: removing events from the end of the chain leaves a shorter chain that
/// is consistent in itself, and this row is what tells it from the real one.
/// </summary>
public sealed class AuditChainHead
{
    public const int SingleId = 1;

    public int Id { get; set; } = SingleId;
    public long Sequence { get; set; }
    public Guid? EventId { get; set; }
    public required byte[] Hash { get; set; }
    public required byte[] Mac { get; set; }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>, IEntityTypeConfiguration<ArchivedAuditEvent>,
    IEntityTypeConfiguration<AuditChainHead>
{
    public const string EventsTable = "AuditEvents";
    public const string ArchiveTable = "AuditArchive";
    public const string HeadTable = "AuditChainHead";

    /// <summary>What an event says and its MAC, in the order of <see cref="AuditChain.ContentMac"/>'s fields: what the hub inserts, what sealing must leave unchanged.</summary>
    public const string ContentColumns = "\"Id\", \"Time\", \"Type\", \"Actor\", \"Subject\", \"Client\", \"Source\", \"Level\", \"Ip\", \"Outcome\", \"Detail\", \"TraceId\", \"Mac\"";

    /// <summary>Every column: the content and the link sealing adds.</summary>
    public const string AllColumns = ContentColumns + ", \"Sequence\", \"PreviousId\", \"PreviousHash\", \"Hash\"";

    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        Configure(builder, EventsTable);
        builder.HasIndex(e => e.Time);
        // The sealer's query: what is not yet in the chain.
        builder.HasIndex(e => new { e.Time, e.Id }).HasFilter("\"Sequence\" IS NULL").HasDatabaseName("IX_AuditEvents_Unsealed");
    }

    public void Configure(EntityTypeBuilder<ArchivedAuditEvent> builder) => Configure(builder, ArchiveTable);

    public void Configure(EntityTypeBuilder<AuditChainHead> builder)
    {
        builder.ToTable(HeadTable);
        builder.Property(h => h.Id).ValueGeneratedNever();
    }

    private static void Configure<T>(EntityTypeBuilder<T> builder, string table) where T : AuditRecord
    {
        builder.ToTable(table);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.Type).HasMaxLength(40);
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.Property(e => e.Subject).HasMaxLength(300);
        builder.Property(e => e.Client).HasMaxLength(200);
        builder.Property(e => e.Source).HasMaxLength(100);
        builder.Property(e => e.Level).HasMaxLength(20);
        builder.Property(e => e.Ip).HasMaxLength(64);
        builder.Property(e => e.Outcome).HasMaxLength(20);
        builder.Property(e => e.Detail).HasMaxLength(1000);
        builder.Property(e => e.TraceId).HasMaxLength(64);
        builder.HasIndex(e => e.Sequence).IsUnique().HasFilter("\"Sequence\" IS NOT NULL");
        builder.HasIndex(e => new { e.Type, e.Time });
        builder.HasIndex(e => new { e.Actor, e.Time });
        // The person's own download of their data (Account/PersonalDataExport).
        builder.HasIndex(e => new { e.Subject, e.Time });
    }
}
