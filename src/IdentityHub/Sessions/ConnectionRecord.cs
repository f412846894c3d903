using IdentityHub.Hosting;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Sessions;

/// <summary>
/// One login to a service: a code the hub issued for the person, what it said about them and how they had proven who
/// they are. The person's connection history on <c>/account</c> (docs/design.md, "Citizen dashboard"); kept
/// <see cref="HistoryOptions.RetentionDays"/>, longer than the session it came from.
/// </summary>
public sealed class ConnectionRecord
{
    /// <summary>Database-generated and increasing: the history's order, and the key its pages and purge batches go by.</summary>
    public long Id { get; set; }

    public Guid PersonId { get; set; }
    public required string ClientId { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>The identity source of the session that served the login.</summary>
    public required string SourceId { get; set; }

    /// <summary>The level the service received (<c>acr</c>).</summary>
    public required string Acr { get; set; }

    /// <summary>The personal claims released, space-separated: those of the ID token and those granted for userinfo.</summary>
    public required string Claims { get; set; }

    /// <summary>The tax code of the enterprise the person acted for; null when they logged in as an individual.</summary>
    public string? EnterpriseId { get; set; }

    /// <summary>That enterprise's name as the service received it.</summary>
    public string? EnterpriseName { get; set; }
}

internal sealed class ConnectionRecordConfiguration : IEntityTypeConfiguration<ConnectionRecord>
{
    public void Configure(EntityTypeBuilder<ConnectionRecord> builder)
    {
        builder.ToTable("ConnectionHistory");
        builder.Property(r => r.ClientId).HasMaxLength(100);
        builder.Property(r => r.SourceId).HasMaxLength(64);
        builder.Property(r => r.Acr).HasMaxLength(16);
        builder.Property(r => r.Claims).HasMaxLength(1000);
        builder.Property(r => r.EnterpriseId).HasMaxLength(14);
        builder.Property(r => r.EnterpriseName).HasMaxLength(300);
        // The dashboard reads a person's newest rows a page at a time; the purge takes the oldest rows first.
        builder.HasIndex(r => new { r.PersonId, r.Id });
        builder.HasIndex(r => r.At);
        builder.HasOne<Person>().WithMany().HasForeignKey(r => r.PersonId).OnDelete(DeleteBehavior.Cascade);
    }
}
