namespace IdentityHub.Consent;

internal static class ConsentSetup
{
    public static WebApplicationBuilder AddConsent(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<Consents>();
        return builder;
    }
}
