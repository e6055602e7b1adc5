#!/usr/bin/env bash
# Repeated side-by-side rounds against llama.cpp for one model and a few batch sizes, for differences smaller than a
# single run's noise (small batches, a shared or virtual machine):
#   bench/compare-rounds.sh LLAMA_BIN MODEL ROUNDS SIZE...      SIZE: ppN (a prompt of N tokens) or tgN (N generated)
# Each round runs `tessera bench` and llama-bench once each (REPS repetitions inside), the order flipped every round
# so that a drift of the machine hits both alike, and prints both rates and their ratio; then, per size, the median
# ratio, the number of rounds and the range. docs/PERFORMANCE.md quotes its medians as "median (rounds, range)".
# Environment: THREADS (2), REPS (3); AVX2_ONLY=1 runs tessera with AVX-512 and AVX-VNNI turned off in the runtime
# (and llama.cpp from LLAMA_AVX2_BIN when that is set), as the AVX2-only column of compare-llama-bench.sh does.
set -euo pipefail
llama=${1:?usage: bench/compare-rounds.sh LLAMA_BIN MODEL ROUNDS SIZE...}
model=${2:?model}
rounds=${3:?rounds}
shift 3
[ $# -gt 0 ] || { echo "give at least one size, e.g. pp4 tg64" >&2; exit 2; }
for size in "$@"; do
  [[ $size =~ ^(pp|tg)[1-9][0-9]*$ ]] || { echo "size $size: expected ppN or tgN" >&2; exit 2; }
done
threads=${THREADS:-2}
reps=${REPS:-3}
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")   # compare-lib.sh changes the folder
source "$(dirname "$0")/compare-lib.sh"

tessera_env=()
if [ "${AVX2_ONLY:-0}" = 1 ]; then
  tessera_env=(DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0)
  llama=${LLAMA_AVX2_BIN:-$llama}
fi

# tokens/s of one size: rate ENGINE KIND N
rate() {
  local pp=0 tg=0
  if [ "$2" = pp ]; then pp=$3; else tg=$3; fi
  if [ "$1" = tessera ]; then
    tessera_rates "$model" "$pp" "$tg" "${tessera_env[@]}" | awk '{ print $1 }'
  else
    llama_rates "$model" "$pp" "$tg" | awk '{ print $1 }'
  fi
}

for size in "$@"; do
  kind=${size:0:2} n=${size:2}
  ratios=()
  for round in $(seq "$rounds"); do
    if (( round % 2 )); then t=$(rate tessera "$kind" "$n"); l=$(rate llama "$kind" "$n")
    else l=$(rate llama "$kind" "$n"); t=$(rate tessera "$kind" "$n"); fi
    r=$(ratio "$t" "$l")
    ratios+=("$r")
    echo "$(basename "$model") $size round $round: tessera $t, llama.cpp $l, ratio $r"
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk -v name="$(basename "$model") $size" '
    { v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%s: median ratio %.2f (%d rounds, %.2f-%.2f)\n", name, m, NR, v[1], v[NR] }'
done
