using Tessera.Models;
using Tessera.Runtime;
using Tessera.Tokenizers;

namespace Tessera.Cli.Run;

/// <summary>Turns the inference layers' input errors into <see cref="CliException"/>s, printed as one line.</summary>
public static class UserErrors
{
    public static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ModelException or TokenizerException or ContextFullException or InsufficientMemoryException
            or Runtime.Experts.ExpertTierException)
        {
            throw new CliException(e.Message);
        }
    }
}
