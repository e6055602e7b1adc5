using System.Globalization;
using System.Text;
using Tessera.Server.Hosting;

namespace Tessera.Server.Metrics;

/// <summary>The model pool in the Prometheus text format: what is loaded, its memory against the budget, loads and unloads.</summary>
internal static class PoolMetrics
{
    public static string Render(ModelPool pool)
    {
        var text = new StringBuilder();
        var statuses = pool.Statuses();
        text.Append("# HELP tessera_model_loaded 1 when the model is in memory.\n# TYPE tessera_model_loaded gauge\n");
        foreach (var status in statuses)
            text.Append(CultureInfo.InvariantCulture, $"tessera_model_loaded{{model=\"{status.Source.Id}\"}} {(status.Model is null ? 0 : 1)}\n");
        Write(text, "tessera_models_loaded", "Models in memory.", "gauge", statuses.Count(status => status.Model is not null));
        Write(text, "tessera_models_memory_bytes", "Weight and KV cache bytes of the loaded models.", "gauge",
            statuses.Sum(status => status.Model?.MemoryBytes ?? 0));
        Write(text, "tessera_models_memory_budget_bytes", "Bytes the loaded models may take before idle ones are unloaded.", "gauge", pool.MemoryBudget);
        Write(text, "tessera_model_loads_total", "Models loaded.", "counter", pool.Loads);
        Write(text, "tessera_model_unloads_total", "Models unloaded to make room for another.", "counter", pool.Unloads);
        return text.ToString();
    }

    private static void Write(StringBuilder text, string name, string help, string type, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
