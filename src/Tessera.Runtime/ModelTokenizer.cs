using Tessera.Models;
using Tessera.Tokenizers;

namespace Tessera.Runtime;

/// <summary>The tokenizer stored in a model's GGUF, checked against the model it must feed.</summary>
public static class ModelTokenizer
{
    /// <summary>Builds the tokenizer from the model file's metadata; a vocabulary that does not match the embedding
    /// rows is a <see cref="ModelException"/> (token ids would index past the embedding).</summary>
    public static Tokenizer For(TransformerModel model) => For(model.File.Metadata, model.VocabularySize);

    /// <summary>The encoder's tokenizer (WordPiece for BERT), checked the same way.</summary>
    public static Tokenizer For(Models.Encoders.EncoderModel model) => For(model.File.Metadata, model.VocabularySize);

    private static Tokenizer For(Gguf.GgufMetadata metadata, int embeddingRows)
    {
        var tokenizer = Tokenizer.FromGguf(metadata);
        if (tokenizer.VocabularySize != embeddingRows)
            throw new ModelException($"the tokenizer has {tokenizer.VocabularySize} tokens but the model's embedding has {embeddingRows} rows");
        return tokenizer;
    }
}
