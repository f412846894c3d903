namespace SampleDataProvider;

/// <summary>Lets tests name this assembly, e.g. <c>WebApplicationFactory&lt;SampleDataProviderMarker&gt;</c>.</summary>
public sealed class SampleDataProviderMarker;
