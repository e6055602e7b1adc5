using System.Text.Json;
using Tessera.Backends.OpenCL;
using Tessera.Runtime.Placement;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>
/// A server running the model on OpenCL whose device fails mid-generation: the in-flight requests and later ones
/// still get full answers, the same as on the CPU, and the failure and the new plan show in /metrics and /v1/models.
/// </summary>
public sealed class DeviceFallbackTests
{
    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Lily had a red ball", "One day, a cat"];

    private static async Task<string[]> CompleteAllAsync(TestServer server) => await Task.WhenAll(Prompts.Select(async prompt =>
        (await server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { model = TestServer.StoriesId, prompt, max_tokens = 24, temperature = 0 })))
            .GetProperty("choices")[0].GetProperty("text").GetString()!));

    [OpenClFact]
    public async Task The_server_keeps_serving_when_its_device_fails()
    {
        string[] expected;
        await using (var cpu = await TestServer.StartAsync(parallel: 4))
            expected = await CompleteAllAsync(cpu);

        // A device of this test's own: failing it must not touch the one other tests share.
        var device = OpenClPlatform.Discover(out string? reason).FirstOrDefault() ?? throw new InvalidOperationException(reason);
        await using var server = await TestServer.StartAsync(parallel: 4, configure: o => o with
        {
            Placement = new PlacementOptions { Device = "opencl" },
            Accelerators = [device],
        });
        using (var models = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/models")))
        {
            var placement = models.RootElement.GetProperty("data")[0].GetProperty("placement");
            Assert.Equal("opencl", placement.GetProperty("devices")[1].GetProperty("name").GetString());
            Assert.Equal("layers 0-4, output head", placement.GetProperty("devices")[1].GetProperty("parts").GetString());
        }
        Assert.Equal(5, await server.MetricAsync("tessera_device_layers{device=\"opencl\"}"));
        Assert.True(await server.MetricAsync("tessera_device_pool_live_bytes{device=\"opencl\"}") > 0);
        double fragmentation = await server.MetricAsync("tessera_device_pool_fragmentation{device=\"opencl\"}");
        Assert.InRange(fragmentation, 0, 1);

        device.InjectFault(6);
        var during = await CompleteAllAsync(server);
        var after = await CompleteAllAsync(server);

        Assert.Equal(expected, during);
        Assert.Equal(expected, after);
        Assert.True(device.Failed);
        Assert.Equal(1, await server.MetricAsync("tessera_device_failures_total{device=\"opencl\"}"));
        Assert.Equal(1, await server.MetricAsync("tessera_device_fallbacks_total"));
        Assert.Equal(5, await server.MetricAsync("tessera_device_layers{device=\"cpu\"}"));
        Assert.Equal(0, await server.MetricAsync("tessera_device_layers{device=\"opencl\"}"));
        string models2 = await server.Http.GetStringAsync("/v1/models");
        Assert.Contains("opencl failed: layers 0-4 and the output head moved to the CPU", models2);
    }
}
