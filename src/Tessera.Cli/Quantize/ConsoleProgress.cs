using Spectre.Console;

namespace Tessera.Cli.Quantize;

/// <summary>A Spectre progress bar over all rows of all tensors, for an interactive terminal.</summary>
public sealed class BarProgress(ProgressContext context) : IQuantizeProgress
{
    private ProgressTask? _task;

    public void Start(IReadOnlyList<TensorPlan> plans) =>
        _task = context.AddTask("converting", maxValue: Math.Max(1, plans.Sum(p => (double)p.RowCount)));

    public void BeginTensor(TensorPlan plan) => _task!.Description = Markup.Escape($"{plan.Name} -> {plan.Target}");

    public void Advance(TensorPlan plan, long rows) => _task!.Increment(rows);

    public void EndTensor(TensorPlan plan) { }

    public void Finish() => _task!.StopTask();
}

/// <summary>One line per tensor, for logs and pipes where a redrawn bar would be noise.</summary>
public sealed class LineProgress(TextWriter writer) : IQuantizeProgress
{
    private int _index;
    private int _count;

    public void Start(IReadOnlyList<TensorPlan> plans) => _count = plans.Count;

    public void BeginTensor(TensorPlan plan) => _index++;

    public void Advance(TensorPlan plan, long rows) { }

    public void EndTensor(TensorPlan plan) =>
        writer.WriteLine($"[{_index,4}/{_count}] {plan.Name,-40} {plan.Target,-7} [{string.Join(", ", plan.Dimensions)}]");

    public void Finish() { }
}

/// <summary>Picks the bar on a terminal and lines otherwise.</summary>
public static class ProgressRunner
{
    public static void Run(TextWriter stderr, Action<IQuantizeProgress> work)
    {
        var console = ConsoleFactory.For(stderr);
        if (console.Profile.Capabilities.Interactive)
            console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => work(new BarProgress(ctx)));
        else
            work(new LineProgress(stderr));
    }
}
