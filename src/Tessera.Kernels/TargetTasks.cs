namespace Tessera.Kernels;

/// <summary>
/// One matrix's rows in a pool pass that splits several matrices into tasks (<see cref="MatVec.ComputeShared"/>,
/// <see cref="Int8PanelMatMul.ComputeShared"/>, <see cref="FloatMatMul.ComputeShared"/>): its weights, its output and
/// the run of task numbers that are its own, <see cref="FirstTask"/> onwards.
/// </summary>
internal readonly unsafe struct TargetTasks(byte* weights, long weightRowBytes, long rows, float* y, long rowsPerTask, int firstTask)
{
    public byte* Weights { get; } = weights;
    public long WeightRowBytes { get; } = weightRowBytes;
    public long Rows { get; } = rows;
    public float* Y { get; } = y;
    public long RowsPerTask { get; } = rowsPerTask;
    public int FirstTask { get; } = firstTask;

    /// <summary>Tasks this matrix takes.</summary>
    public int Count => (int)((Rows + RowsPerTask - 1) / RowsPerTask);

    /// <summary>The first row of pass task <paramref name="task"/> (one of this matrix's).</summary>
    public long FirstRow(int task) => (task - FirstTask) * RowsPerTask;

    /// <summary>Rows of pass task <paramref name="task"/>: <see cref="RowsPerTask"/>, fewer for the last.</summary>
    public int RowCount(int task) => (int)Math.Min(RowsPerTask, Rows - FirstRow(task));
}
