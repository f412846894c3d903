namespace IdentityHub.Enterprises;

internal static class EnterprisesSetup
{
    public static WebApplicationBuilder AddEnterprises(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<Representations>();
        return builder;
    }
}
