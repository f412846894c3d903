namespace SampleRelyingParty;

/// <summary>Lets tests name this assembly, e.g. <c>WebApplicationFactory&lt;SampleRelyingPartyMarker&gt;</c>.</summary>
public sealed class SampleRelyingPartyMarker;
