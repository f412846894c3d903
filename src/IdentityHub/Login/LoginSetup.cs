namespace IdentityHub.Login;

internal static class LoginSetup
{
    public static WebApplicationBuilder AddLogin(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<LoginJourneys>();
        return builder;
    }
}
