using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tessera.Server.Alerts;

/// <summary>The alert states as the `alerts` section of `/v1/status` and as Prometheus gauges.</summary>
public static class AlertReport
{
    /// <summary>`[{"rule","active","value","threshold","since","message"}]`; `since` is an ISO 8601 time or null.</summary>
    public static void WriteJson(Utf8JsonWriter writer, IReadOnlyList<AlertState> states)
    {
        writer.WriteStartArray();
        foreach (var state in states)
        {
            writer.WriteStartObject();
            writer.WriteString("rule", state.Rule);
            writer.WriteBoolean("active", state.Active);
            if (state.Value is { } value)
                writer.WriteNumber("value", value);
            else
                writer.WriteNull("value");
            writer.WriteNumber("threshold", state.Threshold);
            if (state.Since is { } since)
                writer.WriteString("since", since);
            else
                writer.WriteNull("since");
            writer.WriteString("message", state.Message);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary>`tessera_alert_active{rule}` (0 or 1), `tessera_alert_value{rule}` (NaN when there was nothing to
    /// read) and `tessera_alert_threshold{rule}`.</summary>
    public static string Metrics(IReadOnlyList<AlertState> states)
    {
        var text = new StringBuilder();
        Gauge(text, "tessera_alert_active", "Whether the alert rule fires (1) or not (0).", states, state => state.Active ? 1 : 0);
        Gauge(text, "tessera_alert_value", "The value the alert rule last read (NaN: nothing to read).", states, state => state.Value ?? double.NaN);
        Gauge(text, "tessera_alert_threshold", "The alert rule's threshold.", states, state => state.Threshold);
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, IReadOnlyList<AlertState> states, Func<AlertState, double> value)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
        foreach (var state in states)
            text.Append(CultureInfo.InvariantCulture, $"{name}{{rule=\"{state.Rule}\"}} {Format(value(state))}\n");
    }

    private static string Format(double value) => double.IsNaN(value) ? "NaN" : value.ToString(CultureInfo.InvariantCulture);
}
