# Shared by the side-by-side scripts (sourced, not run): builds the CLI, and defines llama_rates, tessera_rates, ratio
# and avx512.
# Expects $llama (llama.cpp's bin folder), $threads and $reps to be set by the script that sources it.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet build src/Tessera.Cli -c Release >/dev/null
tessera=src/Tessera.Cli/bin/Release/net10.0/tessera

# "pp tg" tokens/s from llama-bench's markdown table: llama_rates MODEL PP TG
llama_rates() {
  "$llama/llama-bench" -m "$1" -p "$2" -n "$3" -r "$reps" -t "$threads" 2>/dev/null |
    awk -F'|' '/ (pp|tg)[0-9]+ /{ split($(NF-1), v, " "); printf "%s ", v[1] }'
}

# "pp tg" tokens/s from tessera bench --json: tessera_rates MODEL PP TG [VAR=VALUE...] (extra environment, e.g.
# DOTNET_EnableAVX512=0)
tessera_rates() {
  local model=$1 pp=$2 tg=$3
  shift 3
  env "$@" "$tessera" bench "$model" -p "$pp" -n "$tg" -r "$reps" -t "$threads" --device cpu --json 2>/dev/null |
    awk -F': ' '/"tokens_per_second"/{ gsub(",", "", $2); printf "%.2f ", $2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# An if, not `grep && avx512=1`: as the last command of a sourced file under `set -e`, a failed grep would end the
# script on a CPU without AVX-512.
avx512=0
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then avx512=1; fi
