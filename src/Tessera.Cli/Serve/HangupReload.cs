using System.Runtime.InteropServices;
using Tessera.Server.Configuration;

namespace Tessera.Cli.Serve;

/// <summary>
/// SIGHUP reloads the config file's live settings (and no longer stops the server). The signal is claimed when the
/// command starts, before any native library loads: some (LLVM inside an OpenCL driver) install their own SIGHUP
/// handler that ends the process, and they pass the signal on only to a handler that was there before them.
/// </summary>
public sealed class HangupReload : IDisposable
{
    private readonly PosixSignalRegistration? _registration;
    private readonly TextWriter _log;
    private volatile ConfigReload? _reload;
    private Action<ReloadResult>? _reloaded;

    public HangupReload(TextWriter log)
    {
        _log = log;
        try
        {
            _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
        }
        catch (PlatformNotSupportedException)
        {
            log.WriteLine("tessera: warning: this platform has no SIGHUP; restart to change the config");
        }
    }

    /// <summary>From now on SIGHUP runs <paramref name="reload"/> and hands its result to <paramref name="reloaded"/>.</summary>
    public void Attach(ConfigReload reload, Action<ReloadResult> reloaded)
    {
        _reloaded = reloaded;
        _reload = reload;
        if (_registration is not null)
            _log.WriteLine($"tessera: SIGHUP reloads the live settings of {reload.Path}");
    }

    private void OnHangup(PosixSignalContext signal)
    {
        signal.Cancel = true;
        lock (_log)
        {
            if (_reload is not { } reload)
            {
                _log.WriteLine("tessera: SIGHUP before the server is ready; ignored");
                return;
            }
            var result = reload.Reload();
            foreach (string line in result.Describe(reload.Path))
                _log.WriteLine($"tessera: {line}");
            _reloaded?.Invoke(result);
            _log.Flush();
        }
    }

    public void Dispose() => _registration?.Dispose();
}
