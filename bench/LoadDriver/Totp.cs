using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LoadDriver;

/// <summary>RFC 6238 time-based one-time passwords as an authenticator app makes them: HMAC-SHA-1, 6 digits, 30-second steps.</summary>
internal static class Totp
{
    public const int StepSeconds = 30;
    private const int Digits = 6;
    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>The time step of <paramref name="at"/>: seconds since the Unix epoch, divided by 30.</summary>
    public static long StepAt(DateTimeOffset at) => at.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The code of <paramref name="step"/> (RFC 4226 section 5.3: dynamic truncation of the HMAC of the step's 8 bytes).</summary>
    public static string Code(byte[] key, long step, int digits = Digits)
    {
        Span<byte> counter = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 6238's algorithm, as the hub and authenticator apps use it; HOTP's truncation keeps it sound.
        HMACSHA1.HashData(key, counter, hash);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        var modulo = (int)Math.Pow(10, digits);
        return (binary % modulo).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>RFC 4648 base32, as a setup key is shown: case and spaces ignored, padding optional.</summary>
    public static byte[] Base32Decode(string text)
    {
        var bytes = new List<byte>(text.Length * 5 / 8);
        var buffer = 0;
        var bits = 0;
        foreach (var c in text)
        {
            if (c is ' ' or '=')
            {
                continue;
            }
            var value = Base32Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (value < 0)
            {
                throw new FormatException($"'{c}' is not a base32 character.");
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)(buffer >> bits));
                buffer &= (1 << bits) - 1;
            }
        }
        return [.. bytes];
    }
}

/// <summary>
/// A bench person with an authenticator app: its base32 secret (null until enrolled) and the last time step whose code
/// was sent. The hub accepts the codes of the steps before, at and after the current one, and each step once per
/// account, never an older one than the last accepted (a replay): so a code is only ever made for a step after the
/// last one sent, and never for the step before the current one (it could be two steps old when the hub reads it).
/// </summary>
internal sealed class TotpAccount(string username, string? secret, long lastStep)
{
    public string Username { get; } = username;
    public string? Secret { get; private set; } = secret;
    public long LastStep { get; private set; } = lastStep;
    internal bool InUse { get; set; }

    /// <summary>Whether a code can be made now: the current step, or the next one, is after the last sent.</summary>
    public bool UsableAt(long currentStep) => Secret is not null && LastStep <= currentStep;

    /// <summary>The secret the enrolment page showed (its spaces removed); the account has used no step of it yet.</summary>
    public void Enrolled(string setupKey)
    {
        Totp.Base32Decode(setupKey); // a key the driver cannot read fails here, before any code is made of it
        Secret = setupKey.Replace(" ", "", StringComparison.Ordinal);
        LastStep = -1;
    }

    /// <summary>An enrolment that failed: the account is left out until a later run enrols it again.</summary>
    public void Forget()
    {
        Secret = null;
        LastStep = -1;
    }

    /// <summary>
    /// The code of the current step, or of the next one when the current one was sent before; the step is recorded as
    /// spent before the code leaves, so a login cut short (a timeout, the end of the run) cannot be followed by a replay.
    /// </summary>
    public string NextCode(DateTimeOffset now)
    {
        var current = Totp.StepAt(now);
        if (Secret is null || !UsableAt(current))
        {
            throw new BenchException($"{Username}: no unspent time step for a code now",
                Secret is null ? "the account has no authenticator app" : "the account was used for the current and the next step already");
        }
        var step = Math.Max(current, LastStep + 1);
        LastStep = step;
        return Totp.Code(Totp.Base32Decode(Secret), step);
    }
}

/// <summary>
/// The bench people of <c>login-mfa</c>, read from and written back to a file (<c>--totp-accounts</c>) that outlives one
/// run of the driver, so that the next run neither enrols them again nor replays a step already sent. One line per
/// person: <c>username</c>, or <c>username secret last-step</c> once enrolled. Each login takes an account no other
/// worker holds and that has a step to spend now; when none has, the worker waits for the next step (counted).
/// </summary>
internal sealed class TotpAccounts
{
    private readonly List<TotpAccount> _accounts;
    private readonly string _path;
    private readonly Lock _gate = new();

    private TotpAccounts(string path, List<TotpAccount> accounts)
    {
        _path = path;
        _accounts = accounts;
    }

    public IReadOnlyList<TotpAccount> All => _accounts;

    public static TotpAccounts Load(string path)
    {
        var accounts = new List<TotpAccount>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is not (1 or 3) || !names.Add(parts[0]))
            {
                throw new UsageException($"{path}:{number}: expected 'username' or 'username secret last-step', each username once.");
            }
            if (parts.Length == 1)
            {
                accounts.Add(new TotpAccount(parts[0], null, -1));
                continue;
            }
            if (!long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var lastStep))
            {
                throw new UsageException($"{path}:{number}: the last step is not a number.");
            }
            try
            {
                Totp.Base32Decode(parts[1]);
            }
            catch (FormatException)
            {
                throw new UsageException($"{path}:{number}: the secret is not base32.");
            }
            accounts.Add(new TotpAccount(parts[0], parts[1], lastStep));
        }
        return accounts.Count > 0 ? new TotpAccounts(path, accounts) : throw new UsageException($"{path} lists no account.");
    }

    /// <summary>Written to a new file, then moved over the old one: a run killed meanwhile leaves the previous file whole.</summary>
    public void Save()
    {
        var text = new StringBuilder("# login-mfa bench accounts: username [base32-secret last-time-step-sent]\n");
        lock (_gate)
        {
            foreach (var account in _accounts)
            {
                text.Append(account.Username);
                if (account.Secret is { } secret)
                {
                    text.Append(' ').Append(secret).Append(' ').Append(account.LastStep.ToString(CultureInfo.InvariantCulture));
                }
                text.Append('\n');
            }
        }
        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, _path, overwrite: true);
    }

    /// <summary>
    /// An enrolled account no worker holds, with a step to spend now (the least recently used one first); waits for the
    /// next time step when there is none, and reports how long it waited.
    /// </summary>
    public async Task<(TotpAccount Account, TimeSpan Waited)> AcquireAsync(Func<DateTimeOffset> clock, CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            var now = clock();
            var current = Totp.StepAt(now);
            bool heldOnly;
            lock (_gate)
            {
                TotpAccount? best = null;
                foreach (var account in _accounts)
                {
                    if (!account.InUse && account.UsableAt(current) && (best is null || account.LastStep < best.LastStep))
                    {
                        best = account;
                    }
                }
                if (best is not null)
                {
                    best.InUse = true;
                    return (best, waited);
                }
                if (!_accounts.Any(a => a.Secret is not null))
                {
                    throw new BenchException("no enrolled login-mfa account");
                }
                heldOnly = _accounts.Any(a => a.InUse && a.UsableAt(current));
            }
            // Fewer free accounts than workers: one is released when its login ends. Otherwise every account has spent
            // the current and the next step: the next step frees them.
            var delay = heldOnly ? TimeSpan.FromMilliseconds(10)
                : DateTimeOffset.FromUnixTimeSeconds((current + 1) * Totp.StepSeconds) - now + TimeSpan.FromMilliseconds(50);
            if (delay <= TimeSpan.Zero || delay > TimeSpan.FromSeconds(Totp.StepSeconds + 1))
            {
                delay = TimeSpan.FromMilliseconds(50);
            }
            await Task.Delay(delay, cancellationToken);
            waited += delay;
        }
    }

    public void Release(TotpAccount account)
    {
        lock (_gate)
        {
            account.InUse = false;
        }
    }
}
