using Tessera.Gguf;
using Tessera.Tensors;

namespace Tessera.Models.Tests;

/// <summary>
/// A deliberately plain BERT forward, written for the tests from the architecture's definition, sharing no code with
/// the engine's encoder: every weight dequantized to a double array straight from the file, loops over tokens, heads
/// and features, double accumulation. It records the same named points the engine traces, per sequence.
/// </summary>
public sealed class BertReference
{
    private readonly GgufFile _file;
    private readonly int _embd, _layers, _heads, _ff;
    private readonly double _epsilon;

    public BertReference(GgufFile file)
    {
        _file = file;
        var m = file.Metadata;
        _embd = (int)m.GetInteger("bert.embedding_length");
        _layers = (int)m.GetInteger("bert.block_count");
        _heads = (int)m.GetInteger("bert.attention.head_count");
        _ff = (int)m.GetInteger("bert.feed_forward_length");
        _epsilon = m.GetFloat("bert.attention.layer_norm_epsilon");
    }

    /// <summary>Activations of one sequence by (point, layer), each [tokens, width] row-major; plus the mean-pooled,
    /// unit-length sentence vector under ("pooled", -1).</summary>
    public Dictionary<(string Point, int Layer), double[]> Run(int[] tokens)
    {
        var trace = new Dictionary<(string, int), double[]>();
        int n = tokens.Length, d = _embd;
        var tok = Weights("token_embd.weight");
        var types = Weights("token_types.weight");
        var pos = Weights("position_embd.weight");
        var x = new double[n * d];
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < d; i++)
                x[t * d + i] = tok[tokens[t] * d + i] + types[i] + pos[t * d + i];
        }
        trace[("inp_embd", -1)] = (double[])x.Clone();
        x = Norm(x, n, Weights("token_embd_norm.weight"), Weights("token_embd_norm.bias"));
        trace[("inp_norm", -1)] = (double[])x.Clone();

        for (int l = 0; l < _layers; l++)
        {
            string b = $"blk.{l}.";
            var q = Affine(x, n, d, d, b + "attn_q");
            var k = Affine(x, n, d, d, b + "attn_k");
            var v = Affine(x, n, d, d, b + "attn_v");
            trace[("q", l)] = q;
            trace[("k", l)] = k;
            trace[("v", l)] = v;
            var attention = Attend(q, k, v, n);
            trace[("attn_out", l)] = attention;
            var o = Affine(attention, n, d, d, b + "attn_output");
            for (int i = 0; i < x.Length; i++)
                o[i] += x[i];
            x = Norm(o, n, Weights(b + "attn_output_norm.weight"), Weights(b + "attn_output_norm.bias"));
            trace[("ffn_inp", l)] = (double[])x.Clone();

            var up = Affine(x, n, d, _ff, b + "ffn_up");
            for (int i = 0; i < up.Length; i++)
                up[i] = 0.5 * up[i] * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (up[i] + 0.044715 * up[i] * up[i] * up[i])));
            var down = Affine(up, n, _ff, d, b + "ffn_down");
            trace[("ffn_out", l)] = (double[])down.Clone();
            for (int i = 0; i < x.Length; i++)
                down[i] += x[i];
            x = Norm(down, n, Weights(b + "layer_output_norm.weight"), Weights(b + "layer_output_norm.bias"));
            trace[("l_out", l)] = (double[])x.Clone();
        }

        var pooled = new double[d];
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < d; i++)
                pooled[i] += x[t * d + i] / n;
        }
        double length = Math.Sqrt(pooled.Sum(value => value * value));
        trace[("pooled", -1)] = pooled.Select(value => value / length).ToArray();
        return trace;
    }

    /// <summary>softmax(q_h · k_h^T / sqrt(head_dim)) · v_h for every head, every token seeing every token.</summary>
    private double[] Attend(double[] q, double[] k, double[] v, int n)
    {
        int hd = _embd / _heads;
        var output = new double[n * _embd];
        var scores = new double[n];
        for (int h = 0; h < _heads; h++)
        {
            for (int t = 0; t < n; t++)
            {
                for (int j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (int e = 0; e < hd; e++)
                        dot += q[t * _embd + h * hd + e] * k[j * _embd + h * hd + e];
                    scores[j] = dot / Math.Sqrt(hd);
                }
                double max = scores.Max();
                double total = 0;
                for (int j = 0; j < n; j++)
                    total += scores[j] = Math.Exp(scores[j] - max);
                for (int e = 0; e < hd; e++)
                {
                    double sum = 0;
                    for (int j = 0; j < n; j++)
                        sum += scores[j] / total * v[j * _embd + h * hd + e];
                    output[t * _embd + h * hd + e] = sum;
                }
            }
        }
        return output;
    }

    /// <summary>y[t, o] = Σ_i x[t, i] W[o, i] + bias[o], W stored with GGUF dimensions [inputs, outputs].</summary>
    private double[] Affine(double[] x, int n, int inputs, int outputs, string name)
    {
        var w = Weights(name + ".weight");
        var bias = Weights(name + ".bias");
        var y = new double[n * outputs];
        for (int t = 0; t < n; t++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (int i = 0; i < inputs; i++)
                    sum += x[t * inputs + i] * w[o * inputs + i];
                y[t * outputs + o] = sum;
            }
        }
        return y;
    }

    private double[] Norm(double[] x, int n, double[] gain, double[] bias)
    {
        var y = new double[x.Length];
        for (int t = 0; t < n; t++)
        {
            var row = x.AsSpan(t * _embd, _embd).ToArray();
            double mean = row.Average();
            double variance = row.Select(value => (value - mean) * (value - mean)).Average();
            for (int i = 0; i < _embd; i++)
                y[t * _embd + i] = (row[i] - mean) / Math.Sqrt(variance + _epsilon) * gain[i] + bias[i];
        }
        return y;
    }

    private readonly Dictionary<string, double[]> _weights = [];

    private double[] Weights(string name)
    {
        if (_weights.TryGetValue(name, out var cached))
            return cached;
        var tensor = _file.GetTensor(name);
        var values = new float[tensor.ElementCount];
        Quantization.Dequantize(tensor.Type, _file.GetData(tensor), values);
        return _weights[name] = values.Select(value => (double)value).ToArray();
    }
}
