using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SampleRelyingParty.Authentication;

/// <summary>What the data provider answered for the person who is logged in.</summary>
public enum DataOutcome
{
    /// <summary>This service reads no provider's data (no <c>Oidc:DataResource</c>).</summary>
    NotConfigured,

    Shown,

    /// <summary>The provider refused the token: expired (it lives 5 minutes), revoked, or the consent was withdrawn.</summary>
    Refused,

    /// <summary>The provider holds no record for the person.</summary>
    NoRecord,

    Unavailable,
}

public sealed record DeclaredIncome(DataOutcome Outcome, int? Year = null, long? Amount = null, string? Currency = null);

/// <summary>
/// Fetches the person's declared income from the tax office with the access token the hub issued for it
/// (docs/integration.md, "Data providers"), as an agency's service would.
/// </summary>
internal sealed partial class DataRecords(HttpClient http, IOptions<OidcSettings> settings, ILogger<DataRecords> logger)
{
    public async Task<DeclaredIncome> FetchAsync(string? accessToken, CancellationToken cancellationToken)
    {
        if (!settings.Value.ReadsData)
        {
            return new(DataOutcome.NotConfigured);
        }
        if (string.IsNullOrEmpty(accessToken))
        {
            return new(DataOutcome.Refused);
        }
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, settings.Value.DataUrl);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return new(DataOutcome.Refused);
            }
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return new(DataOutcome.NoRecord);
            }
            response.EnsureSuccessStatusCode();
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = json.RootElement;
            return new(DataOutcome.Shown, root.GetProperty("year").GetInt32(), root.GetProperty("declaredIncome").GetInt64(), root.GetProperty("currency").GetString());
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LogUnreadable(logger, exception.Message);
            return new(DataOutcome.Unavailable);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data provider could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);
}
