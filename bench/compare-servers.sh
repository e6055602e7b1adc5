#!/usr/bin/env bash
# Side-by-side load test of `tessera serve` and llama-server on one model: the same threads, slots and requests
# (text completions, streamed),
# the servers taking turns at each client count (so drift in the machine hits both alike). Prints the load
# generator's summary line per run.
# usage: bench/compare-servers.sh MODEL.gguf LLAMA_BIN_DIR [CLIENTS...]   (default clients: 1 2 4 8 16)
# env: THREADS (2), SLOTS (8), TOKENS (48), REQUESTS_PER_CLIENT (4), SYSTEM_PROMPT_FILE (unset: no shared prefix)
set -euo pipefail
model=$1 llama_bin=$2; shift 2
clients=${*:-1 2 4 8 16}
threads=${THREADS:-2} slots=${SLOTS:-8} tokens=${TOKENS:-48} per_client=${REQUESTS_PER_CLIENT:-4}
root=$(cd "$(dirname "$0")/.." && pwd)
cli="$root/src/Tessera.Cli/bin/Release/net10.0/tessera.dll"
load="$root/bench/Tessera.LoadTest/bin/Release/net10.0/Tessera.LoadTest.dll"
[ -f "$cli" ] && [ -f "$load" ] || { echo "build first: dotnet build -c Release" >&2; exit 1; }
ctx=2048
extra=()
[ -n "${SYSTEM_PROMPT_FILE:-}" ] && extra=(--system-prompt-file "$SYSTEM_PROMPT_FILE")

wait_ready() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

run_one() { # name port start-command...
  local name=$1 port=$2; shift 2
  "$@" >"/tmp/compare-$name.log" 2>&1 &
  local pid=$!
  wait_ready "$port" || { echo "$name did not start; see /tmp/compare-$name.log" >&2; kill $pid; exit 1; }
  # Warm-up, not measured: enough requests that both servers run steady-state code (a JIT's optimized tier, caches).
  dotnet "$load" --url "http://127.0.0.1:$port" --concurrency 2 --requests 8 --max-tokens 32 --completions >/dev/null || true
  # The load generator exits non-zero when a request failed; its summary (which counts the errors) still stands.
  local line
  line=$(dotnet "$load" --url "http://127.0.0.1:$port" --concurrency "$c" --requests $((per_client * c)) --max-tokens "$tokens" \
    --completions "${extra[@]}" | grep '^summary:') || true
  [ -n "$line" ] || line="summary: failed (see /tmp/compare-$name.log)"
  echo "$name $line"
  kill $pid; wait $pid 2>/dev/null || true
}

for c in $clients; do
  run_one tessera 8091 dotnet "$cli" serve "$model" --port 8091 --parallel "$slots" -t "$threads" --ctx $ctx
  run_one llama-server 8092 "$llama_bin/llama-server" -m "$model" --port 8092 -np "$slots" -t "$threads" -c $((ctx * slots)) --no-webui
done
