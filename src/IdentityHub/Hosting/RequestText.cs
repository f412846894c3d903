using System.Buffers;

namespace IdentityHub.Hosting;

/// <summary>
/// The text the hub accepts from a request (docs/design.md, "Malformed input"): UTF-8, with no control character but
/// tab, line feed and carriage return. No parameter, name, identifier or JSON string of the hub has a use for one,
/// and PostgreSQL refuses NUL in text outright. Invalid UTF-8 is refused where it can still be seen, in the
/// percent-encoded text: ASP.NET Core leaves such escapes undecoded, so the value would silently differ from the one sent.
/// </summary>
public static class RequestText
{
    private static readonly SearchValues<char> RefusedControls = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>Decoded text: no refused control character, and no surrogate without its pair (no UTF-8 can carry one).</summary>
    public static bool IsAcceptable(ReadOnlySpan<char> text)
    {
        if (text.ContainsAny(RefusedControls))
        {
            return false;
        }
        var i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                return false;
            }
            i += 2;
            var next = text[i..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + next;
        }
        return true;
    }

    public static bool IsAcceptable(string? text) => text is null || IsAcceptable(text.AsSpan());

    /// <summary>Percent-encoded text as it arrived (a query string): what each escape stands for is acceptable UTF-8.</summary>
    public static bool IsAcceptablePercentEncoded(ReadOnlySpan<char> text)
    {
        var decoder = new PercentDecodedUtf8();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                decoder.Feed((byte)c);
            }
            else if (!decoder.BetweenCharacters || char.IsLowSurrogate(c)
                || char.IsHighSurrogate(c) && (++i >= text.Length || !char.IsLowSurrogate(text[i])))
            {
                // A character the server already decoded, in the middle of an escaped sequence or a surrogate alone.
                return false;
            }
            if (decoder.Failed)
            {
                return false;
            }
        }
        return decoder.Finish();
    }

    /// <summary>A form body as it arrived (application/x-www-form-urlencoded): raw and escaped bytes alike are acceptable UTF-8.</summary>
    public static bool IsAcceptablePercentEncoded(in ReadOnlySequence<byte> body)
    {
        var decoder = new PercentDecodedUtf8();
        foreach (var segment in body)
        {
            foreach (var b in segment.Span)
            {
                decoder.Feed(b);
            }
            if (decoder.Failed)
            {
                return false;
            }
        }
        return decoder.Finish();
    }

    /// <summary>
    /// Follows percent-encoded text byte by byte, as ASP.NET Core decodes it (an escape that is not two hex digits stays
    /// as it is), and checks the decoded bytes as UTF-8 (Unicode 15, table 3-7: no overlong form, no surrogate, nothing
    /// beyond U+10FFFF) without a refused control character.
    /// </summary>
    private struct PercentDecodedUtf8
    {
        private int _escape;
        private byte _firstDigit;
        private int _continuations;
        private byte _lowest;
        private byte _highest;

        public bool Failed { get; private set; }

        /// <summary>No escaped multi-byte sequence is open: a character decoded by the server may come next.</summary>
        public readonly bool BetweenCharacters => _escape == 0 && _continuations == 0;

        public void Feed(byte b)
        {
            switch (_escape)
            {
                case 1 when IsHex(b):
                    _firstDigit = b;
                    _escape = 2;
                    return;
                case 1:
                    _escape = 0;
                    Decoded((byte)'%');
                    Feed(b);
                    return;
                case 2 when IsHex(b):
                    _escape = 0;
                    Decoded((byte)(HexValue(_firstDigit) << 4 | HexValue(b)));
                    return;
                case 2:
                    _escape = 0;
                    Decoded((byte)'%');
                    Decoded(_firstDigit);
                    Feed(b);
                    return;
                default:
                    if (b == '%')
                    {
                        _escape = 1;
                    }
                    else
                    {
                        Decoded(b);
                    }
                    return;
            }
        }

        public bool Finish()
        {
            if (_escape > 0)
            {
                Decoded((byte)'%');
            }
            if (_escape == 2)
            {
                Decoded(_firstDigit);
            }
            _escape = 0;
            return !Failed && _continuations == 0;
        }

        private void Decoded(byte b)
        {
            if (_continuations > 0)
            {
                if (b < _lowest || b > _highest)
                {
                    Failed = true;
                }
                _continuations--;
                (_lowest, _highest) = ((byte)0x80, (byte)0xBF);
                return;
            }
            (_continuations, _lowest, _highest) = b switch
            {
                < 0x80 => (0, (byte)0, (byte)0),
                >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
                0xE0 => (2, (byte)0xA0, (byte)0xBF),
                0xED => (2, (byte)0x80, (byte)0x9F),
                >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
                0xF0 => (3, (byte)0x90, (byte)0xBF),
                >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
                0xF4 => (3, (byte)0x80, (byte)0x8F),
                _ => (-1, (byte)0, (byte)0),
            };
            if (_continuations < 0 || b < 0x80 && RefusedControls.Contains((char)b))
            {
                Failed = true;
                _continuations = 0;
            }
        }

        private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

        private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
    }
}
