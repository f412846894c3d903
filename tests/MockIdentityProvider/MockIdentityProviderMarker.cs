namespace MockIdentityProvider;

/// <summary>Lets tests name this assembly, e.g. <c>WebApplicationFactory&lt;MockIdentityProviderMarker&gt;</c>.</summary>
public sealed class MockIdentityProviderMarker;
