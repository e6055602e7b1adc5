namespace Tessera.Models.Placement;

internal static class PlacedParts
{
    /// <summary>Frees device objects; a device that already failed may refuse, which must not stop the rest.</summary>
    public static void DisposeAll(params IDisposable?[] parts)
    {
        foreach (var part in parts)
        {
            try
            {
                part?.Dispose();
            }
            catch (Exception)
            {
                // Memory of a failed device is gone with it; nothing more to release.
            }
        }
    }
}
