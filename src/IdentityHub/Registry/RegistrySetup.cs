using Microsoft.AspNetCore.Identity;

namespace IdentityHub.Registry;

internal static class RegistrySetup
{
    public static WebApplicationBuilder AddRegistry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPasswordHasher<RegistryAccount>, PasswordHasher<RegistryAccount>>();
        builder.Services.AddScoped<PasswordSignIn>();
        return builder;
    }
}
