#!/usr/bin/env bash
# Soak test of `tessera serve`: CLIENTS streaming clients for MINUTES with mixed prompt lengths and random client
# disconnects, sampling the server's memory. Prints the memory samples, the load generator's report, and three
# verdicts: resident memory growth after the warm-up, errors (anything but 200 and deliberate 503s), and whether
# the KV pool is back to empty (no busy slot holds cells) once the load stops.
# usage: bench/soak.sh MODEL.gguf [MINUTES]   (default 30)
# env: CLIENTS (8), THREADS (2), SLOTS (8), TOKENS (48), CTX (1024 per slot), MIXED_WORDS (300), DROP_RATE (0.15),
#      WARMUP_MINUTES (5), SAMPLE_SECONDS (30), PORT (8093)
set -euo pipefail
model=$1 minutes=${2:-30}
clients=${CLIENTS:-8} threads=${THREADS:-2} slots=${SLOTS:-8} tokens=${TOKENS:-48} ctx=${CTX:-1024}
mixed=${MIXED_WORDS:-300} drop=${DROP_RATE:-0.15} warmup=${WARMUP_MINUTES:-5} every=${SAMPLE_SECONDS:-30} port=${PORT:-8093}
root=$(cd "$(dirname "$0")/.." && pwd)
cli="$root/src/Tessera.Cli/bin/Release/net10.0/tessera.dll"
load="$root/bench/Tessera.LoadTest/bin/Release/net10.0/Tessera.LoadTest.dll"
[ -f "$cli" ] && [ -f "$load" ] || { echo "build first: dotnet build -c Release" >&2; exit 1; }
log=$(mktemp -d)

dotnet "$cli" serve "$model" --port "$port" --parallel "$slots" -t "$threads" --ctx "$ctx" >"$log/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "server did not start; see $log/server.log" >&2; exit 1; }

dotnet "$load" --url "http://127.0.0.1:$port" --concurrency "$clients" --duration $((minutes * 60)) --max-tokens "$tokens" \
  --completions --mixed-prompts "$mixed" --disconnect-rate "$drop" >"$log/load.txt" 2>&1 &
loader=$!

# kB of a /proc/PID/status field
field() { awk -v name="$1:" '$1 == name { print $2 }' "/proc/$server/status"; }
echo "seconds rss_kib rss_anon_kib" | tee "$log/memory.txt"
start=$(date +%s)
while kill -0 $loader 2>/dev/null; do
  echo "$(( $(date +%s) - start )) $(field VmRSS) $(field RssAnon)" | tee -a "$log/memory.txt"
  for _ in $(seq 1 "$every"); do kill -0 $loader 2>/dev/null || break; sleep 1; done
done
wait $loader || true
cat "$log/load.txt"

sleep 3
metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }
busy=$(metric tessera_slots_busy) cells=$(metric tessera_kv_cells_used) pages=$(metric tessera_kv_pages_used) cached=$(metric tessera_kv_cells_cached)
echo "idle after the load: slots_busy=$busy kv_cells_used=$cells kv_pages_used=$pages (prefix cache and idle slots keep kv_cells_cached=$cached for reuse)"

awk -v warm=$((warmup * 60)) 'NR > 1 && $1 >= warm && base == "" { base = $2; anon = $3 } NR > 1 { last = $2; lastAnon = $3 }
  END { if (base == "") { print "memory: no sample after the warm-up"; exit }
        printf "memory after warm-up: RSS %.1f -> %.1f MiB (%+.1f%%), anonymous %.1f -> %.1f MiB (%+.1f%%)\n",
          base / 1024, last / 1024, 100 * (last - base) / base, anon / 1024, lastAnon / 1024, 100 * (lastAnon - anon) / anon }' "$log/memory.txt"
errors=$(grep -o 'errors=[0-9]*' "$log/load.txt" | cut -d= -f2)
echo "verdict: errors=${errors:-?} (503s counted apart: $(grep -c 'status 503' "$log/load.txt" || true) lines), busy slots when idle=${busy:-?}, KV cells held when idle=${cells:-?}"
echo "logs: $log"
