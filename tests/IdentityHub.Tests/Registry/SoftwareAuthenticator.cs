using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace IdentityHub.Tests.Registry;

/// <summary>
/// A platform authenticator and the browser around it, in C#: it answers <c>navigator.credentials.create()</c> and
/// <c>.get()</c> options as Chromium would, with ES256 discoverable credentials, "none" attestation and user
/// verification, building clientDataJSON, authenticator data and the attestation object (WebAuthn 6.1, 6.5) by hand.
/// Its knobs spoil one thing at a time so tests can see each check of the hub refuse.
/// </summary>
public sealed class SoftwareAuthenticator(string origin) : IDisposable
{
    private const byte UserPresent = 0x01;
    private const byte UserVerified = 0x04;
    private const byte AttestedCredentialData = 0x40;

    private readonly List<Credential> _credentials = [];

    /// <summary>False: the person was present but not verified (no PIN, no biometrics).</summary>
    public bool VerifiesUser { get; set; } = true;

    /// <summary>The origin the browser reports; another than the hub's is a phishing page's.</summary>
    public string Origin { get; set; } = origin;

    public IReadOnlyList<Credential> Credentials => _credentials;

    /// <summary><c>navigator.credentials.create({publicKey})</c>: a new credential, as the page's script posts it.</summary>
    public JsonObject Create(JsonElement publicKey)
    {
        var rpId = publicKey.GetProperty("rp").GetProperty("id").GetString()!;
        var user = publicKey.GetProperty("user");
        foreach (var excluded in Ids(publicKey, "excludeCredentials"))
        {
            if (_credentials.Any(c => c.Id.AsSpan().SequenceEqual(excluded)))
            {
                throw new InvalidOperationException("InvalidStateError: this authenticator already holds an excluded credential.");
            }
        }
        var credential = new Credential(RandomNumberGenerator.GetBytes(16), ECDsa.Create(ECCurve.NamedCurves.nistP256), rpId,
            WebEncoders.Base64UrlDecode(user.GetProperty("id").GetString()!));
        _credentials.Add(credential);

        var clientData = ClientData("webauthn.create", publicKey.GetProperty("challenge").GetString()!);
        var authData = AuthenticatorData(rpId, (byte)(UserPresent | (VerifiesUser ? UserVerified : 0) | AttestedCredentialData), 0, AttestedData(credential));
        var attestation = new CborWriter(CborConformanceMode.Ctap2Canonical);
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authData);
        attestation.WriteEndMap();

        return new JsonObject
        {
            ["id"] = WebEncoders.Base64UrlEncode(credential.Id),
            ["rawId"] = WebEncoders.Base64UrlEncode(credential.Id),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = WebEncoders.Base64UrlEncode(clientData),
                ["attestationObject"] = WebEncoders.Base64UrlEncode(attestation.Encode()),
                ["transports"] = new JsonArray("internal"),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    /// <summary>
    /// <c>navigator.credentials.get({publicKey})</c>: an assertion by <paramref name="use"/>, or by the first credential
    /// the options allow (any of this RP's when they list none, as a discoverable credential is chosen).
    /// </summary>
    public JsonObject Get(JsonElement publicKey, Credential? use = null, uint? signCount = null)
    {
        var rpId = publicKey.GetProperty("rpId").GetString()!;
        var allowed = Ids(publicKey, "allowCredentials").ToList();
        var credential = use ?? _credentials.First(c => c.RpId == rpId && (allowed.Count == 0 || allowed.Any(a => a.AsSpan().SequenceEqual(c.Id))));
        credential.SignCount = signCount ?? credential.SignCount + 1;

        var clientData = ClientData("webauthn.get", publicKey.GetProperty("challenge").GetString()!);
        var authData = AuthenticatorData(rpId, (byte)(UserPresent | (VerifiesUser ? UserVerified : 0)), credential.SignCount, []);
        var signature = credential.Key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        return new JsonObject
        {
            ["id"] = WebEncoders.Base64UrlEncode(credential.Id),
            ["rawId"] = WebEncoders.Base64UrlEncode(credential.Id),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = WebEncoders.Base64UrlEncode(clientData),
                ["authenticatorData"] = WebEncoders.Base64UrlEncode(authData),
                ["signature"] = WebEncoders.Base64UrlEncode(signature),
                ["userHandle"] = WebEncoders.Base64UrlEncode(credential.UserHandle),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    public void Dispose()
    {
        foreach (var credential in _credentials)
        {
            credential.Key.Dispose();
        }
    }

    private byte[] ClientData(string type, string challenge) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type, challenge, origin = Origin, crossOrigin = false }));

    private static byte[] AuthenticatorData(string rpId, byte flags, uint signCount, byte[] attested)
    {
        var counter = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(counter, signCount);
        return [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, .. counter, .. attested];
    }

    /// <summary>AAGUID (zeros: "none" attestation), the credential id, and the public key as COSE_Key (RFC 9053, EC2 P-256).</summary>
    private static byte[] AttestedData(Credential credential)
    {
        var parameters = credential.Key.ExportParameters(includePrivateParameters: false);
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1); // kty: EC2
        cose.WriteInt32(2);
        cose.WriteInt32(3); // alg: ES256
        cose.WriteInt32(-7);
        cose.WriteInt32(-1); // crv: P-256
        cose.WriteInt32(1);
        cose.WriteInt32(-2);
        cose.WriteByteString(parameters.Q.X!);
        cose.WriteInt32(-3);
        cose.WriteByteString(parameters.Q.Y!);
        cose.WriteEndMap();
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)credential.Id.Length);
        return [.. new byte[16], .. length, .. credential.Id, .. cose.Encode()];
    }

    private static IEnumerable<byte[]> Ids(JsonElement publicKey, string list) =>
        publicKey.TryGetProperty(list, out var items) && items.ValueKind == JsonValueKind.Array
            ? items.EnumerateArray().Select(i => WebEncoders.Base64UrlDecode(i.GetProperty("id").GetString()!))
            : [];

    public sealed class Credential(byte[] id, ECDsa key, string rpId, byte[] userHandle)
    {
        public byte[] Id { get; } = id;
        public ECDsa Key { get; } = key;
        public string RpId { get; } = rpId;
        public byte[] UserHandle { get; } = userHandle;
        public uint SignCount { get; set; }
    }
}
