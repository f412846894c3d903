namespace IdentityHub.IdentitySources;

internal static class IdentitySourcesSetup
{
    public static WebApplicationBuilder AddIdentitySources(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SourceList>();
        builder.Services.AddScoped<SourceCatalog>();
        builder.Services.AddHostedService<RegistrySource>();
        return builder;
    }
}
