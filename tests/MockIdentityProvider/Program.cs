using Microsoft.Extensions.DependencyInjection.Extensions;
using MockIdentityProvider;

var builder = WebApplication.CreateBuilder(args);
// ASPNETCORE_URLS, --urls and test factories win; this is only the address the hub's demo configuration expects.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls(MockIdentityProviderOptions.DefaultUrl);
}

builder.Services.AddOptions<MockIdentityProviderOptions>()
    .BindConfiguration(MockIdentityProviderOptions.Section)
    .PostConfigure(options => options.ApplyDefaultAddresses());
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SigningKey>();
builder.Services.AddSingleton<IssuerResolver>();
builder.Services.AddSingleton<ProviderStore>();

var app = builder.Build();

app.MapGet(Routes.Discovery, ProviderEndpoints.Discovery);
app.MapGet(Routes.Jwks, ProviderEndpoints.Jwks);
app.MapGet(Routes.Authorize, ProviderEndpoints.ShowLogin);
app.MapPost(Routes.Authorize, ProviderEndpoints.Decide);
app.MapPost(Routes.Token, ProviderEndpoints.Token);
app.MapMethods(Routes.UserInfo, ["GET", "POST"], ProviderEndpoints.UserInfo);
app.MapMethods(Routes.EndSession, ["GET", "POST"], ProviderEndpoints.EndSession);

// Test helpers: what the hub sent, for assertions.
app.MapGet(Routes.LastAuthorize, ProviderEndpoints.LastAuthorize);
app.MapGet(Routes.Logouts, ProviderEndpoints.Logouts);

app.Run();
