using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SampleDataProvider;

/// <summary>What the hub said of a token (RFC 7662), as far as this provider reads it.</summary>
internal sealed record TokenFacts(bool Active, IReadOnlyList<string> Scopes, IReadOnlyList<string> Audiences, string? ClientId, string? Subject, string? IdentityNumber);

/// <summary>
/// Asks the hub about every token it is sent, with the provider's own credentials: no token is trusted from its
/// signature alone, so a revoked one (a consent withdrawn) is refused at once.
/// </summary>
internal sealed class Introspection(HttpClient http, IOptions<ProviderSettings> settings)
{
    /// <summary>The introspection endpoint of each hub's discovery document, read once per process.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Endpoints = new(StringComparer.Ordinal);

    public async Task<TokenFacts> AskAsync(string token, CancellationToken cancellationToken)
    {
        var options = settings.Value;
        if (!Endpoints.TryGetValue(options.Authority, out var endpoint))
        {
            Endpoints[options.Authority] = endpoint = await EndpointAsync(options, cancellationToken);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new FormUrlEncodedContent([new("token", token), new("token_type_hint", "access_token")]),
        };
        // RFC 6749 2.3.1: each part form-encoded before the Basic encoding.
        var credentials = $"{Uri.EscapeDataString(options.ClientId)}:{Uri.EscapeDataString(options.ClientSecret)}";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = json.RootElement;
        var active = root.TryGetProperty("active", out var value) && value.ValueKind == JsonValueKind.True;
        return new TokenFacts(
            active,
            root.TryGetProperty("scope", out var scope) && scope.GetString() is { } scopes ? scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [],
            root.TryGetProperty("aud", out var aud) ? aud.ValueKind == JsonValueKind.Array ? [.. aud.EnumerateArray().Select(a => a.GetString()!)] : [aud.GetString()!] : [],
            Text(root, "client_id"),
            Text(root, "sub"),
            Text(root, "identity_number"));
    }

    private static string? Text(JsonElement root, string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task<string> EndpointAsync(ProviderSettings options, CancellationToken cancellationToken)
    {
        using var discovery = await JsonDocument.ParseAsync(
            await http.GetStreamAsync(options.Authority.TrimEnd('/') + "/.well-known/openid-configuration", cancellationToken), cancellationToken: cancellationToken);
        return discovery.RootElement.GetProperty("introspection_endpoint").GetString()
            ?? throw new InvalidOperationException("The hub's discovery document names no introspection endpoint.");
    }
}
