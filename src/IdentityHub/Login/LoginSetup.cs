namespace IdentityHub.Login;

internal static class LoginSetup
{
    public static WebApplicationBuilder AddLogin(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<LoginJourneys>();
        builder.Services.AddScoped<IdentitySources.SourceCatalog>();
        return builder;
    }
}
