using IdentityHub.Protocol;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdentityHub.Tests.Protocol;

/// <summary>The rules that keep the in-memory client definitions from outliving a change.</summary>
public sealed class ClientCacheTests
{
    private static OpenIddictEntityFrameworkCoreApplication Client(string secret = "sha256:x") =>
        new() { Id = "id-1", ClientId = "client-1", ClientSecret = secret, Permissions = "[\"ept:token\"]" };

    [Fact]
    public void NotListening_NothingIsKept()
    {
        var cache = new ClientCache();
        cache.Store(cache.Generation, Client());
        Assert.False(cache.TryGetByClientId("client-1", out _));
    }

    [Fact]
    public void Listening_ARowReadIsServedByClientIdAndById_UntilAChangeArrives()
    {
        var cache = new ClientCache();
        cache.SetListening(true);
        cache.Store(cache.Generation, Client());
        Assert.True(cache.TryGetByClientId("client-1", out var byClientId));
        Assert.True(cache.TryGetById("id-1", out var byId));
        Assert.Same(byClientId, byId);
        Assert.False(cache.TryGetByClientId("CLIENT-1", out _));

        cache.Clear();
        Assert.False(cache.TryGetByClientId("client-1", out _));
        Assert.False(cache.TryGetById("id-1", out _));
    }

    [Fact]
    public void ARowReadBeforeAChange_IsNotKept()
    {
        var cache = new ClientCache();
        cache.SetListening(true);
        var seen = cache.Generation;   // the row is read...
        cache.Clear();                 // ...a change is committed and announced meanwhile...
        cache.Store(seen, Client());   // ...so what was read may be the old row
        Assert.False(cache.TryGetByClientId("client-1", out _));
    }

    [Fact]
    public void ListenerLost_EverythingIsForgotten()
    {
        var cache = new ClientCache();
        cache.SetListening(true);
        cache.Store(cache.Generation, Client());
        cache.SetListening(false);
        cache.SetListening(true);
        Assert.False(cache.TryGetByClientId("client-1", out _));
    }

    [Fact]
    public void EachRequest_GetsItsOwnEntity()
    {
        var cache = new ClientCache();
        cache.SetListening(true);
        cache.Store(cache.Generation, Client());
        Assert.True(cache.TryGetByClientId("client-1", out var snapshot));
        var first = snapshot.ToEntity();
        var second = snapshot.ToEntity();
        Assert.NotSame(first, second);
        Assert.Equal(("id-1", "client-1", "sha256:x", "[\"ept:token\"]"), (first.Id, first.ClientId, first.ClientSecret, first.Permissions));
    }
}
