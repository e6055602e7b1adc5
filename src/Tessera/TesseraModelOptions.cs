namespace Tessera;

/// <summary>How a model is loaded in process. Zero means "choose": the model's context (capped), all cores.</summary>
public sealed record TesseraModelOptions
{
    /// <summary>Positions per conversation; 0 takes the model's training context, capped at 4096.</summary>
    public int ContextSize { get; init; }

    /// <summary>Conversations generated at once (slots of the scheduler); more callers wait in its queue.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>Callers that may wait for a slot before a call is refused.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>CPU threads; 0 uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>A name for the model in responses (ModelId); defaults to the file name.</summary>
    public string? ModelId { get; init; }
}
