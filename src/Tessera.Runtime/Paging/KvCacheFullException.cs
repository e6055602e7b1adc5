namespace Tessera.Runtime.Paging;

/// <summary>Every page of the KV cache is held by a running sequence: nothing is free and nothing can be evicted.</summary>
public sealed class KvCacheFullException(string message) : InvalidOperationException(message);
