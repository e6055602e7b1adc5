// Tests read the smaps parser and the page-cache steps directly.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Tessera.Gguf.Tests")]
