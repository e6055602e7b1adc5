#!/usr/bin/env bash
# MoE scheduling side by side with llama.cpp on the same files and threads, alternating engines model by model:
#   bench/compare-moe.sh LLAMA_BIN MODEL...
# For each model: llama-bench, then `tessera bench --moe-schedule off`, then `--moe-schedule auto` (and, on a CPU with
# AVX-512, auto again with AVX-512 turned off in the runtime, the AVX2-only dispatch). Prints one markdown row per
# model: tokens/s of each and the tessera / llama.cpp ratios, plus the kernel threads' idle fraction of tessera's runs.
# Environment: THREADS (2), PP (512), TG (128), REPS (3).
set -euo pipefail
llama=${1:?usage: bench/compare-moe.sh LLAMA_BIN MODEL...}
shift
threads=${THREADS:-2}
reps=${REPS:-3}
pp=${PP:-512}
tg=${TG:-128}
source "$(dirname "$0")/compare-lib.sh"

# "pp tg idle_pp idle_tg" from tessera bench --json (extra environment first).
tessera_moe_rates() {
  local model=$1 schedule=$2
  shift 2
  env "$@" "$tessera" bench "$model" -p "$pp" -n "$tg" -r "$reps" -t "$threads" --device cpu --moe-schedule "$schedule" --json 2>/dev/null |
    awk -F': ' '/"tokens_per_second"/{ gsub(",", "", $2); rate[n++] = $2 } /"idle_fraction"/{ gsub(",", "", $2); idle[m++] = $2 }
      END { printf "%.2f %.2f %.1f%% %.1f%%", rate[0], rate[1], 100 * idle[0], 100 * idle[1] }'
}

echo "| model | llama.cpp pp / tg | off pp / tg (idle) | auto pp / tg (idle) | auto / llama.cpp pp / tg |$([ $avx512 = 1 ] && echo ' AVX2-only auto pp / tg | ratio pp / tg |')"
echo "|---|---|---|---|---|$([ $avx512 = 1 ] && echo '---|---|')"
for model in "$@"; do
  read -r lp lt <<<"$(llama_rates "$model" "$pp" "$tg")"
  read -r op ot oip oit <<<"$(tessera_moe_rates "$model" off)"
  read -r ap at aip ait <<<"$(tessera_moe_rates "$model" auto)"
  row="| $(basename "$model") | $lp / $lt | $op / $ot ($oip, $oit) | $ap / $at ($aip, $ait) | $(ratio "$ap" "$lp") / $(ratio "$at" "$lt") |"
  if [ $avx512 = 1 ]; then
    read -r vp vt _ _ <<<"$(tessera_moe_rates "$model" auto DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0)"
    row="$row $vp / $vt | $(ratio "$vp" "$lp") / $(ratio "$vt" "$lt") |"
  fi
  echo "$row"
done
