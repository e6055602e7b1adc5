namespace Tessera.Cli.Quantize;

/// <summary>Receives progress of a model conversion (a progress bar on a terminal, a line per tensor otherwise).</summary>
public interface IQuantizeProgress
{
    void Start(IReadOnlyList<TensorPlan> plans);
    void BeginTensor(TensorPlan plan);
    void Advance(TensorPlan plan, long rows);
    void EndTensor(TensorPlan plan);
    void Finish();
}
