using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace IdentityHub.Tests.Hosting;

/// <summary>The hub refuses to start with settings it cannot honour, nested ones included, and says which.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Hub:Federation:TimeoutSeconds", "0", "TimeoutSeconds")]
    [InlineData("Hub:Federation:TimeoutSeconds", "121", "TimeoutSeconds")]
    [InlineData("Hub:DataProtection:Path", "", "Path")]
    [InlineData("Hub:History:RetentionDays", "0", "RetentionDays")]
    public async Task Start_WithASettingOutOfRange_IsRefusedNamingIt(string key, string value, string named)
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { [key] = value });

        var refused = Assert.Throws<OptionsValidationException>(() => hub.CreateClient());

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithTheDefaults_Succeeds()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { ["Hub:Federation:TimeoutSeconds"] = "120" });
        using var http = hub.CreateClient();
        using var response = await http.GetAsync("/health/ready");
        Assert.True(response.IsSuccessStatusCode);
    }
}
