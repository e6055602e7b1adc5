using Tessera.Models;
using Tessera.Tokenizers;

namespace Tessera.Runtime;

/// <summary>The tokenizer stored in a model's GGUF, checked against the model it must feed.</summary>
public static class ModelTokenizer
{
    /// <summary>Builds the tokenizer from the model file's metadata; a vocabulary that does not match the embedding
    /// rows is a <see cref="ModelException"/> (token ids would index past the embedding).</summary>
    public static Tokenizer For(TransformerModel model)
    {
        var tokenizer = Tokenizer.FromGguf(model.File.Metadata);
        if (tokenizer.VocabularySize != model.VocabularySize)
            throw new ModelException($"the tokenizer has {tokenizer.VocabularySize} tokens but the model's embedding has {model.VocabularySize} rows");
        return tokenizer;
    }
}
