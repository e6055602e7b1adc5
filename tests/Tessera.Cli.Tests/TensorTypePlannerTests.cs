using Tessera.Cli.Quantize;
using Tessera.Tensors;

namespace Tessera.Cli.Tests;

public class TensorTypePlannerTests
{
    private static TensorTypePlanner Planner(string preset, int layers = 22, bool separateOutput = true, bool pure = false) =>
        new(QuantizationPreset.Parse(preset), layers, separateOutput, pure);

    [Fact]
    public void Norms_biases_and_router_stay_F32()
    {
        var planner = Planner("Q4_0");
        Assert.Equal(GgmlType.F32, planner.Choose("blk.0.attn_norm.weight", [2048]));
        Assert.Equal(GgmlType.F32, planner.Choose("blk.0.attn_q.bias", [2048]));
        Assert.Equal(GgmlType.F32, planner.Choose("blk.0.ffn_gate_inp.weight", [2048, 32]));
        Assert.Equal(GgmlType.Q4_0, planner.Choose("blk.0.ffn_gate_exps.weight", [2048, 768, 32]));
    }

    [Fact]
    public void Output_projection_gets_Q6_K_unless_pure()
    {
        Assert.Equal(GgmlType.Q6_K, Planner("Q4_0").Choose("output.weight", [2048, 32000]));
        Assert.Equal(GgmlType.Q4_0, Planner("Q4_0").Choose("token_embd.weight", [2048, 32000]));
        Assert.Equal(GgmlType.Q6_K, Planner("Q4_0", separateOutput: false).Choose("token_embd.weight", [2048, 32000]));
        Assert.Equal(GgmlType.Q4_0, Planner("Q4_0", pure: true).Choose("output.weight", [2048, 32000]));
        Assert.Equal(GgmlType.Q8_0, Planner("Q8_0").Choose("output.weight", [2048, 32000]));
    }

    [Theory]
    [InlineData(0, 22, true)]    // first eighth
    [InlineData(2, 22, false)]
    [InlineData(4, 22, true)]    // (4 - 2) % 3 == 2
    [InlineData(19, 22, true)]   // last eighth
    [InlineData(3, 4, true)]
    [InlineData(1, 4, false)]
    [InlineData(2, 4, true)]
    public void More_bits_layers(int layer, int count, bool expected) =>
        Assert.Equal(expected, TensorTypePlanner.UseMoreBits(layer, count));

    [Theory]
    [InlineData("Q2_K", 128, GgmlType.IQ4_NL)]
    [InlineData("Q4_K_M", 128, GgmlType.Q5_0)]
    [InlineData("Q5_K_M", 128, GgmlType.Q5_1)]
    [InlineData("Q6_K", 128, GgmlType.Q8_0)]
    [InlineData("Q4_K_M", 100, GgmlType.F16)]
    [InlineData("Q4_0", 100, GgmlType.F16)]
    public void Rows_that_do_not_fit_fall_back(string preset, long rowLength, GgmlType expected) =>
        Assert.Equal(expected, Planner(preset).Choose("blk.2.ffn_up.weight", [rowLength, 64]));

    [Fact]
    public void Float_presets_convert_every_matrix()
    {
        Assert.Equal(GgmlType.F16, Planner("F16").Choose("output.weight", [100, 7]));
        Assert.Equal(GgmlType.F32, Planner("F16").Choose("output_norm.weight", [100]));
    }
}
