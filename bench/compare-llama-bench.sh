#!/usr/bin/env bash
# Side-by-side speed against llama.cpp on the same files and threads, alternating engines model by model:
#   bench/compare-llama-bench.sh LLAMA_BIN MODEL...
# LLAMA_BIN is the folder with llama-bench (see DEVELOPERS.md for building the team's copy). For each model it runs
# llama-bench, then `tessera bench`, then (on a CPU with AVX-512) `tessera bench` again with AVX-512 turned off in the
# runtime, so the AVX2-only dispatch is measured on the same machine. Tessera runs with --device cpu: this compares
# CPU kernels (llama.cpp built for the CPU). Prints one markdown row per model with the
# tokens/s of each and the tessera / llama.cpp ratios.
# Environment: THREADS (2), PP (512), TG (128), REPS (2). A model named stories260K* uses PP=128, TG=64.
# LLAMA_AVX2_BIN: a llama.cpp build without AVX-512 (GGML_NATIVE=OFF, GGML_AVX2=ON, GGML_AVX512=OFF; see
# docs/PERFORMANCE.md); when set, the AVX2-only tessera column is compared with it, ISA against ISA, instead of with
# the native build.
set -euo pipefail
llama=${1:?usage: bench/compare-llama-bench.sh LLAMA_BIN MODEL...}
shift
threads=${THREADS:-2}
reps=${REPS:-2}
source "$(dirname "$0")/compare-lib.sh"

avx2_llama=${LLAMA_AVX2_BIN:-}
echo "| model | llama.cpp pp / tg | tessera pp / tg | ratio pp / tg |$([ $avx512 = 1 ] && echo "$([ -n "$avx2_llama" ] && echo ' llama.cpp AVX2 pp / tg |') tessera AVX2-only pp / tg | ratio pp / tg |")"
echo "|---|---|---|---|$([ $avx512 = 1 ] && echo "$([ -n "$avx2_llama" ] && echo '---|')---|---|")"
for model in "$@"; do
  pp=${PP:-512}; tg=${TG:-128}
  case "$(basename "$model")" in stories260K*) pp=128; tg=64 ;; esac
  read -r lp lt <<<"$(llama_rates "$model" "$pp" "$tg")"
  read -r tp tt <<<"$(tessera_rates "$model" "$pp" "$tg")"
  row="| $(basename "$model") pp$pp/tg$tg | $lp / $lt | $tp / $tt | $(ratio "$tp" "$lp") / $(ratio "$tt" "$lt") |"
  if [ $avx512 = 1 ]; then
    if [ -n "$avx2_llama" ]; then
      read -r lp lt <<<"$(llama="$avx2_llama" llama_rates "$model" "$pp" "$tg")"
      row="$row $lp / $lt |"
    fi
    read -r ap at <<<"$(tessera_rates "$model" "$pp" "$tg" DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0)"
    row="$row $ap / $at | $(ratio "$ap" "$lp") / $(ratio "$at" "$lt") |"
  fi
  echo "$row"
done
