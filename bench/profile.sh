#!/usr/bin/env bash
# bench/profile.sh — CPU and allocation profiles of gatehouse's data plane serving the
# HTTP_PROXY benchmark API under wrk, in run.sh's layout (proxy on CPU 1 with GOMAXPROCS=1,
# wrk and the backend on CPU 0). gatehouse has no profiling switch, so this runs bench/gwprof:
# the same gateway.Server behind the same h1server settings, over an in-memory store.
#
# Usage: bench/profile.sh   Knobs: DURATION=10 WARMUP=2 CONNS=50 THREADS=1 OUT=dir
#   API_KEY=1: the method requires an API key of a usage plan with a throttle and a quota
# Output: $OUT/cpu.pprof, $OUT/mem.pprof (+ mem.pprof.base) and the top functions printed.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
THREADS=${THREADS:-1}
BACKEND_PORT=${BACKEND_PORT:-19200}
GW_PORT=${GW_PORT:-19201}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$(mktemp -d /tmp/gatehouse-profile.XXXXXX)}
mkdir -p "$OUT/bin"
command -v wrk >/dev/null || { echo "wrk missing: run bench/run.sh once, or apt-get install wrk" >&2; exit 1; }

PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$OUT/bin/backend" ./bench/backend && go build -o "$OUT/bin/gwprof" ./bench/gwprof)

taskset -c "$LOAD_CPU" "$OUT/bin/backend" -listen "127.0.0.1:$BACKEND_PORT" 2>/dev/null &
PIDS+=($!)
# The profile window starts after the harness is ready: give wrk a second to start.
taskset -c "$PROXY_CPU" env GOMAXPROCS=1 "$OUT/bin/gwprof" -listen "127.0.0.1:$GW_PORT" \
	-backend "http://127.0.0.1:$BACKEND_PORT" -cpuprofile "$OUT/cpu.pprof" -memprofile "$OUT/mem.pprof" \
	-profile-delay "$((WARMUP + 1))s" -profile-for "${DURATION}s" ${API_KEY:+-api-key} >"$OUT/gwprof.out" 2>"$OUT/gwprof.log" &
PIDS+=($!)
for _ in $(seq 1 200); do
	grep -q '^url ' "$OUT/gwprof.out" && break
	sleep 0.05
done
url=$(awk '/^url / { print $2 }' "$OUT/gwprof.out")hello
[ -n "$url" ] || { cat "$OUT/gwprof.log" >&2; exit 1; }
echo "profiling $url for ${DURATION}s after ${WARMUP}s" >&2

key=$(awk '/^key / { print $2 }' "$OUT/gwprof.out")
hdr=()
[ -n "$key" ] && hdr=(-H "x-api-key: $key")
timeout $((WARMUP + DURATION + 40)) taskset -c "$LOAD_CPU" wrk "${hdr[@]}" -t "$THREADS" -c "$CONNS" \
	-d "$((WARMUP + DURATION + 2))s" --latency "$url" | tee "$OUT/wrk.txt"
for _ in $(seq 1 100); do
	grep -q "profiles written" "$OUT/gwprof.log" && break
	sleep 0.1
done

echo
echo "== CPU, flat (top 30) =="
go tool pprof -top -nodecount=30 "$OUT/bin/gwprof" "$OUT/cpu.pprof" 2>/dev/null
echo
echo "== CPU, cumulative (top 40) =="
go tool pprof -top -cum -nodecount=40 "$OUT/bin/gwprof" "$OUT/cpu.pprof" 2>/dev/null
echo
echo "== allocations in the window, by space (top 25) =="
go tool pprof -top -sample_index=alloc_space -nodecount=25 -base "$OUT/mem.pprof.base" "$OUT/bin/gwprof" "$OUT/mem.pprof" 2>/dev/null
echo
echo "== allocations in the window, by count (top 25) =="
go tool pprof -top -sample_index=alloc_objects -nodecount=25 -base "$OUT/mem.pprof.base" "$OUT/bin/gwprof" "$OUT/mem.pprof" 2>/dev/null
echo
echo "profiles: $OUT (go tool pprof -http=127.0.0.1:0 $OUT/bin/gwprof $OUT/cpu.pprof)"
