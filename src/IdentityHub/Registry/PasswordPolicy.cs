using System.Collections.Frozen;
using System.Text;

namespace IdentityHub.Registry;

/// <summary>
/// What a registry password must be (NIST SP 800-63B 3.1.1.2): long, not a commonly used one, and not built from
/// the account's own identifiers. No composition rules: they push people towards "Password@123".
/// </summary>
public static class PasswordPolicy
{
    public const int MinLength = 12;

    /// <summary>Long enough for any passphrase; the cap only keeps a request from buying a very long hash.</summary>
    public const int MaxLength = 256;

    public const string ResourceName = "IdentityHub.Registry.common-passwords.txt";

    private static readonly Lazy<FrozenSet<string>> Common = new(Load);

    /// <summary>Why <paramref name="password"/> is refused, or null when it is acceptable.</summary>
    /// <param name="personal">Values the password must not contain, such as the username and the identity number.</param>
    public static string? Problem(string? password, params IEnumerable<string?> personal)
    {
        if (string.IsNullOrEmpty(password))
        {
            return $"Required: at least {MinLength} characters.";
        }
        // Code points, not UTF-16 units: an emoji is one character to the person typing it.
        var length = password.EnumerateRunes().Count();
        if (length < MinLength)
        {
            return $"At least {MinLength} characters.";
        }
        if (length > MaxLength)
        {
            return $"At most {MaxLength} characters.";
        }
        if (IsCommon(password))
        {
            return "This password is too common: choose one that is harder to guess, such as a few unrelated words.";
        }
        foreach (var value in personal)
        {
            if (value is { Length: >= 3 } && password.Contains(value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return "The password must not contain the username or the identity number.";
            }
        }
        return null;
    }

    /// <summary>
    /// On the list as typed, or once the digits and symbols people add at either end ("Password@123", "123qwerty")
    /// and the usual letter substitutions ("P@ssw0rd") are taken away.
    /// </summary>
    public static bool IsCommon(string password)
    {
        var common = Common.Value;
        var lower = password.ToLowerInvariant();
        if (common.Contains(lower))
        {
            return true;
        }
        var trailing = lower.TrimEnd(NonLetters(lower));
        var core = trailing.TrimStart(NonLetters(trailing));
        foreach (var candidate in new[] { trailing, core })
        {
            if (candidate.Length > 0 && (common.Contains(candidate) || common.Contains(Unleet(candidate))))
            {
                return true;
            }
        }
        return false;
    }

    private static char[] NonLetters(string value) => [.. value.Where(c => !char.IsLetter(c)).Distinct()];

    private static string Unleet(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '0' => 'o',
                '1' or '!' => 'i',
                '3' => 'e',
                '4' or '@' => 'a',
                '5' or '$' => 's',
                '7' => 't',
                _ => c,
            });
        }
        return builder.ToString();
    }

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var passwords = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim() is { Length: > 0 } entry)
            {
                passwords.Add(entry.ToLowerInvariant());
            }
        }
        return passwords.ToFrozenSet(StringComparer.Ordinal);
    }
}
