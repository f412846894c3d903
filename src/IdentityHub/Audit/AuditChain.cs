using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using IdentityHub.Subjects;

namespace IdentityHub.Audit;

/// <summary>
/// The MACs of the audit trail (docs/design.md, "Audit trail"). A plain hash chain can be recomputed by whoever can
/// rewrite the table; these are HMAC-SHA256 under a key derived from the deployment's pairwise-subject key, which
/// outside Development lives in the hub's configuration and not in the database. So a database administrator can
/// delete or edit rows but cannot make a chain that verifies.
/// </summary>
public sealed class AuditChain
{
    public const int HashLength = 32;

    private static readonly byte[] Label = Encoding.ASCII.GetBytes("IdentityHub audit chain v1");

    private readonly byte[] _key;

    public AuditChain(PairwiseKey pairwiseKey) => _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, pairwiseKey.Value, HashLength, info: Label);

    /// <summary>The hash before the first event.</summary>
    public static byte[] Origin => new byte[HashLength];

    /// <summary>The event's own MAC: every field, each with its length, so no two events share an encoding.</summary>
    public byte[] ContentMac(AuditRecord e)
    {
        using var writer = new Writer('E');
        writer.Guid(e.Id);
        writer.Long(Microseconds(e.Time));
        foreach (var field in (ReadOnlySpan<string?>)[e.Type, e.Actor, e.Subject, e.Client, e.Source, e.Level, e.Ip, e.Outcome, e.Detail, e.TraceId])
        {
            writer.Text(field);
        }
        return writer.Mac(_key);
    }

    /// <summary>The link sealing an event at <paramref name="sequence"/> after <paramref name="previousId"/>.</summary>
    public byte[] LinkMac(long sequence, Guid id, byte[] contentMac, Guid? previousId, byte[] previousHash)
    {
        using var writer = new Writer('L');
        writer.Long(sequence);
        writer.Guid(id);
        writer.Bytes(contentMac);
        writer.Guid(previousId ?? Guid.Empty);
        writer.Bytes(previousHash);
        return writer.Mac(_key);
    }

    public byte[] HeadMac(long sequence, Guid? eventId, byte[] hash)
    {
        using var writer = new Writer('H');
        writer.Long(sequence);
        writer.Guid(eventId ?? Guid.Empty);
        writer.Bytes(hash);
        return writer.Mac(_key);
    }

    public static bool Same(byte[]? left, byte[]? right) =>
        left is not null && right is not null && CryptographicOperations.FixedTimeEquals(left, right);

    /// <summary>
    /// The event time as both databases give it back: UTC, whole milliseconds (PostgreSQL keeps microseconds, the
    /// embedded store's encoding a tenth of a millisecond), so the MAC is computed over what is read.
    /// </summary>
    public static DateTimeOffset Stored(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static long Microseconds(DateTimeOffset time) => time.UtcTicks / 10;

    private sealed class Writer : IDisposable
    {
        private readonly MemoryStream _buffer = new(256);

        public Writer(char kind) => _buffer.WriteByte((byte)kind);

        public void Guid(Guid value)
        {
            Span<byte> bytes = stackalloc byte[16];
            value.TryWriteBytes(bytes, bigEndian: true, out _);
            _buffer.Write(bytes);
        }

        public void Long(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
            _buffer.Write(bytes);
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                Long(-1);
                return;
            }
            var bytes = Encoding.UTF8.GetBytes(value);
            Long(bytes.Length);
            _buffer.Write(bytes);
        }

        public void Bytes(byte[] value)
        {
            Long(value.Length);
            _buffer.Write(value);
        }

        public byte[] Mac(byte[] key) => HMACSHA256.HashData(key, _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));

        public void Dispose() => _buffer.Dispose();
    }
}
