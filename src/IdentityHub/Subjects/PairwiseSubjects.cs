using System.Security.Cryptography;
using System.Text;
using IdentityHub.Data;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Subjects;

/// <summary>
/// Derives the pairwise subject identifier (OIDC Core 8.1): HMAC-SHA256 over the sector and the person's
/// internal id, keyed with a deployment secret, so two sectors cannot link a person and nobody without the
/// key can compute or reverse the value.
/// </summary>
public sealed class PairwiseSubjects(PairwiseKey key)
{
    public string Compute(string sector, Guid personId)
    {
        Span<byte> input = stackalloc byte[512];
        var length = Encoding.UTF8.GetBytes(sector.ToLowerInvariant(), input);
        input[length++] = 0x1F; // unit separator: no sector/id pair can collide with another
        personId.TryWriteBytes(input[length..], bigEndian: true, out var written);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key.Value, input[..(length + written)], mac);
        return WebEncoders.Base64UrlEncode(mac);
    }

    /// <summary>Computes the subject and records it so the hub can map it back to the person.</summary>
    public async Task<string> IssueAsync(HubDbContext db, string sector, Guid personId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var subject = Compute(sector, personId);
        if (!await db.SubjectIdentifiers.AnyAsync(s => s.Subject == subject, cancellationToken))
        {
            await RecordAsync(db, subject, sector, personId, now, cancellationToken);
        }
        return subject;
    }

    /// <summary>
    /// Records <paramref name="subject"/>, computed by <see cref="Compute"/> for <paramref name="sector"/> and the person,
    /// when a read has found it missing (a login reads it with the person's record, in one query).
    /// </summary>
    public static async Task RecordAsync(HubDbContext db, string subject, string sector, Guid personId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        db.SubjectIdentifiers.Add(new SubjectIdentifier { Subject = subject, Sector = sector.ToLowerInvariant(), PersonId = personId, CreatedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another instance recorded the same row concurrently: the value is deterministic, so theirs is ours.
            db.ChangeTracker.Clear();
        }
    }
}

/// <summary>The deployment secret behind <see cref="PairwiseSubjects"/>.</summary>
public sealed record PairwiseKey(byte[] Value);
