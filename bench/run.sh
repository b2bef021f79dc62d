#!/usr/bin/env bash
# bench/run.sh — gatehouse's HTTP_PROXY path against nginx (and a plain Go
# httputil.ReverseProxy) under wrk, on loopback, on a 2-core layout:
#
#   CPU 1: the proxy under test (nginx: worker_processes 1; gatehouse and goproxy: GOMAXPROCS=1)
#   CPU 0: wrk and the backend (bench/backend: a fixed 64-byte response, keep-alive)
#
# Every proxy is started once; then ROUNDS rounds run each proxy in turn (order alternating
# between rounds) for WARMUP then DURATION under wrk with CONNS connections. Per run it reports
# requests/s, p50 and p99 latency (wrk --latency) and the proxy's CPU time per request
# (user+sys of the proxy's processes from /proc/PID/stat, before and after the measured run,
# divided by the requests wrk completed). The summary shows medians across rounds and
# gatehouse's ratios to nginx.
#
# Usage: bench/run.sh            (from anywhere; needs root for apt-get if nginx/wrk are missing)
# Knobs (environment): ROUNDS=3 DURATION=10 WARMUP=2 CONNS=50 THREADS=1
#   PROXIES="nginx gatehouse goproxy" OUT=dir (default: a new temp dir) MAX_BUSY=10
#   More proxies: gatehouse-key (the same method requiring an API key of a usage plan with a
#   throttle and a quota, in-process state), gatehouse-redis and gatehouse-redis-key (both
#   with --state on a private redis-server on the load CPU, started here), e.g.
#   PROXIES="gatehouse gatehouse-key gatehouse-redis gatehouse-redis-key"; gatehouse-authz (the
#   method behind a TOKEN Lambda authorizer, bench/authfn, whose answer is cached) and
#   gatehouse-jwt (behind a COGNITO_USER_POOLS authorizer, tokens of bench/jwtissuer);
#   gatehouse-cache (the same API with the stage cache on, bench/setup -cache: every measured
#   request is a cache hit, in process) and gatehouse-redis-cache (the same, --state on the
#   private redis-server: hits from Redis, compared with gatehouse-redis when it ran), e.g.
#   PROXIES="nginx gatehouse gatehouse-cache gatehouse-redis gatehouse-redis-cache"
#   FORCE=1 runs even when the CPUs are more than MAX_BUSY percent busy before it starts.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
THREADS=${THREADS:-1}
PROXIES=${PROXIES:-"nginx gatehouse goproxy"}
MAX_BUSY=${MAX_BUSY:-10}
BACKEND_PORT=${BACKEND_PORT:-19100}
# BACKEND_FLAGS=-stdlib serves the backend with net/http (a costlier load side).
BACKEND_FLAGS=${BACKEND_FLAGS:-}
NGINX_PORT=${NGINX_PORT:-19101}
GATEHOUSE_PORT=${GATEHOUSE_PORT:-19102}
GATEHOUSE_ADMIN_PORT=${GATEHOUSE_ADMIN_PORT:-19103}
GOPROXY_PORT=${GOPROXY_PORT:-19104}
REDIS_PORT=${REDIS_PORT:-19105}
# The gatehouse variants' data and admin ports: base + 10 * variant number.
VARIANT_PORT_BASE=${VARIANT_PORT_BASE:-19110}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
CLK_TCK=$(getconf CLK_TCK)

log() { echo "bench: $*" >&2; }

PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT

# --- tools -------------------------------------------------------------------------------
install_tools() {
	local need=()
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
	command -v wrk >/dev/null || need+=(wrk)
	[ ${#need[@]} -eq 0 ] && return
	log "installing ${need[*]} from Debian"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if [[ " ${need[*]} " == *" nginx "* ]]; then
		apt-get install -y -qq nginx-light >/dev/null || apt-get install -y -qq nginx >/dev/null
	fi
	if [[ " ${need[*]} " == *" wrk "* ]]; then
		apt-get install -y -qq wrk >/dev/null
	fi
}
install_tools
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# Is the machine quiet? The 1-minute load average lags (a benchmark that just ended keeps it
# near 2 for minutes), so the gate is what the CPUs actually do over 3 seconds.
load1=$(cut -d' ' -f1 /proc/loadavg)
busy_sample() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
read -r b0 i0 < <(busy_sample)
sleep 3
read -r b1 i1 < <(busy_sample)
busy=$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) 'BEGIN { printf "%.0f", b * 100 / (b + i) }')
log "load average: $(cat /proc/loadavg); CPUs busy over 3s before the benchmark: $busy%"
if ((busy > MAX_BUSY)); then
	if [ "${FORCE:-0}" != 1 ]; then
		log "the machine is busy ($busy% > $MAX_BUSY%): numbers would be noise (FORCE=1 to run anyway)"
		exit 1
	fi
	log "WARNING: the machine is busy ($busy%); numbers are not final"
fi

# --- build -------------------------------------------------------------------------------
log "building into $WORK/bin"
(cd "$ROOT" &&
	go build -o "$WORK/bin/gatehouse" ./cmd/gatehouse &&
	go build -o "$WORK/bin/backend" ./bench/backend &&
	go build -o "$WORK/bin/goproxy" ./bench/goproxy &&
	go build -o "$WORK/bin/setup" ./bench/setup &&
	GOOS=linux CGO_ENABLED=0 go build -tags lambda.norpc -o "$WORK/bin/authfn" ./bench/authfn &&
	go build -o "$WORK/bin/jwtissuer" ./bench/jwtissuer)

wait_http() { # url [want-status]
	local url=$1 want=${2:-200} i code
	for i in $(seq 1 200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
		[ "$code" = "$want" ] && return 0
		sleep 0.05
	done
	log "$url did not answer $want (last: $code)"
	return 1
}

# --- backend -----------------------------------------------------------------------------
taskset -c "$LOAD_CPU" "$WORK/bin/backend" -listen "127.0.0.1:$BACKEND_PORT" $BACKEND_FLAGS 2>"$WORK/backend.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$BACKEND_PORT/"

declare -A URL PID HDR

# --- nginx: a plain keep-alive reverse proxy, foreground, own prefix ---------------------
start_nginx() {
	local p=$WORK/nginx
	mkdir -p "$p/logs" "$p/tmp"
	cat >"$p/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $p/nginx.pid;
error_log $p/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $p/tmp/body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    # Go's servers and transports do not cap requests per connection; neither does nginx here.
    keepalive_requests 1000000;
    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
	taskset -c "$PROXY_CPU" "$NGINX" -e "$p/logs/error.log" -p "$p" -c "$p/nginx.conf" &
	PIDS+=($!)
	PID[nginx]=$!
	URL[nginx]="http://127.0.0.1:$NGINX_PORT/hello"
	wait_http "${URL[nginx]}"
}

# --- gatehouse: the real binary, HTTP_PROXY API created through the management API -------
# The account throttle stays on (every request is checked against it, as by default) with
# limits no run reaches: AWS's default 10,000 a second is below what one core proxies.
ACCOUNT_FLAGS=${ACCOUNT_FLAGS:-"--account-rate-limit 1000000000 --account-burst-limit 1000000000"}
# start_gatehouse_as NAME PORT ADMIN_PORT SETUP_FLAGS [SERVE_FLAGS...]
start_gatehouse_as() {
	local name=$1 port=$2 admin=$3 setup_flags=$4
	shift 4
	taskset -c "$PROXY_CPU" env GOMAXPROCS=1 "$WORK/bin/gatehouse" serve \
		--listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
		--data-dir "$WORK/$name-data" $ACCOUNT_FLAGS "$@" 2>"$WORK/$name.log" &
	PIDS+=($!)
	PID[$name]=$!
	local i
	for i in $(seq 1 200); do
		grep -q "gatehouse started" "$WORK/$name.log" && break
		sleep 0.05
	done
	grep -q "gatehouse started" "$WORK/$name.log" || { cat "$WORK/$name.log" >&2; return 1; }
	local id hdr
	read -r id hdr < <("$WORK/bin/setup" -admin "http://127.0.0.1:$admin" -backend "http://127.0.0.1:$BACKEND_PORT" $setup_flags)
	URL[$name]="http://127.0.0.1:$port/restapis/$id/bench/_user_request_/hello"
	HDR[$name]=$hdr
	local i code
	for i in $(seq 1 200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 ${hdr:+-H "$hdr"} "${URL[$name]}" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.05
	done
	log "$name: ${URL[$name]} did not answer 200 (last: $code)"
	return 1
}
start_gatehouse() { start_gatehouse_as gatehouse "$GATEHOUSE_PORT" "$GATEHOUSE_ADMIN_PORT" ""; }
start_gatehouse-key() { start_gatehouse_as gatehouse-key $((VARIANT_PORT_BASE)) $((VARIANT_PORT_BASE + 1)) -api-key; }
start_gatehouse-authz() {
	start_gatehouse_as gatehouse-authz $((VARIANT_PORT_BASE + 30)) $((VARIANT_PORT_BASE + 31)) "-authorizer-bin $WORK/bin/authfn"
}
# gatehouse-jwt: the method behind a COGNITO_USER_POOLS authorizer whose pool stands for
# bench/jwtissuer, run on the load CPU; every request carries the same ID token.
JWT_PORT=${JWT_PORT:-19106}
JWT_POOL=arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_bench
start_gatehouse-jwt() {
	taskset -c "$LOAD_CPU" "$WORK/bin/jwtissuer" -listen "127.0.0.1:$JWT_PORT" 2>"$WORK/jwtissuer.log" &
	PIDS+=($!)
	local tok
	tok=$("$WORK/bin/jwtissuer" -token -issuer "http://127.0.0.1:$JWT_PORT")
	start_gatehouse_as gatehouse-jwt $((VARIANT_PORT_BASE + 40)) $((VARIANT_PORT_BASE + 41)) \
		"-cognito-pool $JWT_POOL -cognito-token $tok" --jwt-issuer "$JWT_POOL=http://127.0.0.1:$JWT_PORT"
}
start_gatehouse-redis() {
	start_redis
	start_gatehouse_as gatehouse-redis $((VARIANT_PORT_BASE + 10)) $((VARIANT_PORT_BASE + 11)) "" --state "redis://127.0.0.1:$REDIS_PORT/0"
}
start_gatehouse-redis-key() {
	start_redis
	start_gatehouse_as gatehouse-redis-key $((VARIANT_PORT_BASE + 20)) $((VARIANT_PORT_BASE + 21)) -api-key --state "redis://127.0.0.1:$REDIS_PORT/1"
}
# gatehouse-cache, gatehouse-redis-cache: the stage response cache answers every request
# after the first (wrk asks one path), from memory or from Redis.
start_gatehouse-cache() { start_gatehouse_as gatehouse-cache $((VARIANT_PORT_BASE + 50)) $((VARIANT_PORT_BASE + 51)) -cache; }
start_gatehouse-redis-cache() {
	start_redis
	start_gatehouse_as gatehouse-redis-cache $((VARIANT_PORT_BASE + 60)) $((VARIANT_PORT_BASE + 61)) -cache --state "redis://127.0.0.1:$REDIS_PORT/2"
}

# --- redis: a private server for the --state variants, on the load CPU, no persistence ----
REDIS_STARTED=0
start_redis() {
	((REDIS_STARTED)) && return 0
	command -v redis-server >/dev/null || { log "redis-server is missing (apt-get install redis-server)"; return 1; }
	taskset -c "$LOAD_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
		--daemonize no --logfile "$WORK/redis.log" &
	PIDS+=($!)
	PID[redis]=$!
	local i
	for i in $(seq 1 100); do
		redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && { REDIS_STARTED=1; return 0; }
		sleep 0.05
	done
	log "redis-server on port $REDIS_PORT did not start"
	return 1
}

# --- goproxy: plain httputil.ReverseProxy --------------------------------------------------
start_goproxy() {
	taskset -c "$PROXY_CPU" env GOMAXPROCS=1 "$WORK/bin/goproxy" \
		-listen "127.0.0.1:$GOPROXY_PORT" -backend "http://127.0.0.1:$BACKEND_PORT" 2>"$WORK/goproxy.log" &
	PIDS+=($!)
	PID[goproxy]=$!
	URL[goproxy]="http://127.0.0.1:$GOPROXY_PORT/hello"
	wait_http "${URL[goproxy]}"
}

for p in $PROXIES; do
	"start_$p"
	log "$p: pid ${PID[$p]}, ${URL[$p]}"
done

# cpu_ticks PID: user+sys clock ticks of PID and its children processes (nginx's worker).
cpu_ticks() {
	local total=0 pid t
	for pid in $1 $(pgrep -P "$1" || true); do
		# Fields after the ")" of comm: state is $1, utime $12, stime $13.
		t=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
		total=$((total + t))
	done
	echo "$total"
}

# to_us VALUE: wrk's "123.45us" / "1.23ms" / "1.00s" in microseconds.
to_us() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.1f", v }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.1f", v * 1000 }
		else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.1f", v * 60e6 }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.1f", v * 1e6 }
		else { printf "NaN" } }'
}

# cpu_busy CPU: busy clock ticks of one CPU (all but idle and iowait) from /proc/stat.
cpu_busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

WRK=(taskset -c "$LOAD_CPU" wrk -t "$THREADS" -c "$CONNS")

run_one() { # round proxy
	local round=$1 p=$2 url=${URL[$2]} out=$OUT/wrk-$2-$1.txt
	local hdr=()
	[ -n "${HDR[$p]:-}" ] && hdr=(-H "${HDR[$p]}")
	timeout $((WARMUP + 30)) "${WRK[@]}" "${hdr[@]}" -d "${WARMUP}s" "$url" >/dev/null
	local before after busy0 busy1 lbusy0 lbusy1 t0 t1
	local rbefore=0 rafter=0
	[[ $p == *redis* ]] && rbefore=$(cpu_ticks "${PID[redis]}")
	before=$(cpu_ticks "${PID[$p]}")
	busy0=$(cpu_busy "$PROXY_CPU")
	lbusy0=$(cpu_busy "$LOAD_CPU")
	t0=$(date +%s%N)
	timeout $((DURATION + 30)) "${WRK[@]}" "${hdr[@]}" -d "${DURATION}s" --latency "$url" >"$out"
	after=$(cpu_ticks "${PID[$p]}")
	[[ $p == *redis* ]] && rafter=$(cpu_ticks "${PID[redis]}")
	busy1=$(cpu_busy "$PROXY_CPU")
	lbusy1=$(cpu_busy "$LOAD_CPU")
	t1=$(date +%s%N)
	if grep -qE "Non-2xx|Socket errors" "$out"; then
		log "$p round $round: errors:"
		grep -E "Non-2xx|Socket errors" "$out" >&2
	fi
	local rps reqs p50 p99 cpu_us other loadcpu
	# loadcpu: how busy the load CPU (wrk + backend) was, in percent; near 100 means the
	# load side, not the proxy, may be what limits requests/s.
	loadcpu=$(awk -v b=$((lbusy1 - lbusy0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", b * 1e9 / hz / ns * 100 }')
	# other: the share of the proxy's CPU that went to anything but the proxy (other
	# processes, interrupts) during the run, in percent of that CPU: the noise indicator.
	other=$(awk -v b=$((busy1 - busy0 - (after - before))) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) 'BEGIN { v = b * 1e9 / hz / ns * 100; printf "%.0f", v < 0 ? 0 : v }')
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	p50=$(to_us "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(to_us "$(awk '$1 == "99%" { print $2 }' "$out")")
	cpu_us=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$p" "$rps" "$p50" "$p99" "$cpu_us" "$reqs" "$other" "$loadcpu" >>"$RESULTS"
	if [[ $p == *redis* ]]; then
		# The Redis server's CPU per request, beside the gateway's own (cpu_us/req).
		awk -v t=$((rafter - rbefore)) -v hz="$CLK_TCK" -v n="$reqs" -v p="$p" -v r="$round" \
			'BEGIN { printf "%s\t%s\t%.1f\n", r, p, t * 1e6 / hz / n }' >>"$OUT/redis.tsv"
	fi
	printf '%-6s %-20s %12s %10s %10s %12s %10s %6s %6s\n' "$round" "$p" "$rps" "$p50" "$p99" "$cpu_us" "$reqs" "$other" "$loadcpu"
}

log "$ROUNDS rounds of: $PROXIES; each ${WARMUP}s warm-up + ${DURATION}s; wrk -t$THREADS -c$CONNS; proxy on CPU $PROXY_CPU, wrk+backend on CPU $LOAD_CPU"
printf 'round\tproxy\trps\tp50_us\tp99_us\tcpu_us_per_req\trequests\tother_pct\tload_cpu_pct\n' >"$RESULTS"
# other% is how busy the proxy's CPU was with anything but the proxy during the run;
# loadcpu% how busy the CPU of wrk and the backend was.
printf '%-6s %-20s %12s %10s %10s %12s %10s %6s %6s\n' round proxy req/s p50_us p99_us cpu_us/req requests other% loadcpu%
read -r -a order <<<"$PROXIES"
for round in $(seq 1 "$ROUNDS"); do
	if ((round % 2 == 0)); then
		seq_=$(printf '%s\n' "${order[@]}" | tac)
	else
		seq_=$(printf '%s\n' "${order[@]}")
	fi
	for p in $seq_; do
		run_one "$round" "$p"
	done
done

# --- summary: medians across rounds, ratios to nginx ---------------------------------------
echo
echo "Medians over $ROUNDS rounds (wrk -t$THREADS -c$CONNS -d${DURATION}s, CPUs busy before: $busy%, load before: $load1):"
awk -F'\t' -v proxies="$PROXIES" '
	NR == 1 { next }
	{ n[$2]++; rps[$2, n[$2]] = $3; p50[$2, n[$2]] = $4; p99[$2, n[$2]] = $5; cpu[$2, n[$2]] = $6 }
	# round_ratio(a, b): the median over rounds of the req/s of a over that of b in the same round.
	function round_ratio(a, b,   i, k, v) {
		k = n[a] < n[b] ? n[a] : n[b]
		for (i = 1; i <= k; i++) v["x", i] = rps[a, i] / rps[b, i]
		return median(v, "x", k)
	}
	# round_diff(a, b): the median over rounds of the CPU per request of a less that of b.
	function round_diff(a, b,   i, k, v) {
		k = n[a] < n[b] ? n[a] : n[b]
		for (i = 1; i <= k; i++) v["x", i] = cpu[a, i] - cpu[b, i]
		return median(v, "x", k)
	}
	# target(p, want, what): when variant p ran beside gatehouse, prints whether its req/s
	# (median over rounds of the per-round ratios) is at least want times that of gatehouse.
	function target(p, want, what) { return target_of(p, "gatehouse", want, what) }
	# target_of(p, base, want, what): the same against variant base.
	function target_of(p, base, want, what,   r) {
		if (!((base in R) && (p in R)))
			return 0
		r = round_ratio(p, base)
		printf "\ntarget: %s req/s >= %.2fx %s (%s): %s (median of rounds %.2fx; medians %.2fx)",
			p, want, base, what, r >= want ? "MET" : "NOT MET", r, R[p] / R[base]
		return 1
	}
	function median(arr, p, k,   i, j, t, v) {
		for (i = 1; i <= k; i++) v[i] = arr[p, i]
		for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j-1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}
	END {
		np = split(proxies, ps, " ")
		for (i = 1; i <= np; i++) {
			p = ps[i]; k = n[p]
			R[p] = median(rps, p, k); P50[p] = median(p50, p, k); P99[p] = median(p99, p, k); C[p] = median(cpu, p, k)
		}
		printf "%-20s %10s %9s %9s %11s %12s %12s\n", "proxy", "req/s", "p50_us", "p99_us", "cpu_us/req", "rps/nginx", "cpu/nginx"
		for (i = 1; i <= np; i++) {
			p = ps[i]
			rr = ("nginx" in R) ? sprintf("%.2fx", R[p] / R["nginx"]) : "-"
			cr = ("nginx" in C) ? sprintf("%.2fx", C[p] / C["nginx"]) : "-"
			printf "%-20s %10.0f %9.1f %9.1f %11.1f %12s %12s\n", p, R[p], P50[p], P99[p], C[p], rr, cr
		}
		# The targets compare variants within each round (they run back to back), then take
		# the median of the ratios of the rounds: the speed of the machine drifts between rounds more
		# than the variants differ.
		target("gatehouse-key", 0.90, "API key + plan throttle + quota, in-process state")
		if (target("gatehouse-redis-key", 0.70, "the same with Redis state") && ("gatehouse-key" in R))
			printf "\nthe Redis state costs the gateway %.1f us CPU a request more than the in-process state (median of rounds)", round_diff("gatehouse-redis-key", "gatehouse-key")
		target("gatehouse-authz", 0.85, "a cached Lambda TOKEN authorizer")
		target("gatehouse-jwt", 0.85, "a COGNITO_USER_POOLS authorizer")
		# A cache hit answers without the backend: faster than the uncached path with the
		# same state (in process, or Redis), and at least as fast as nginx proxying the
		# same backend.
		target("gatehouse-cache", 1.50, "a stage cache hit, in process")
		if (!target_of("gatehouse-redis-cache", "gatehouse-redis", 1.50, "a stage cache hit from Redis, both with the Redis state"))
			target("gatehouse-redis-cache", 1.50, "a stage cache hit from Redis")
		target_of("gatehouse-cache", "nginx", 1.00, "a stage cache hit, in process")
		target_of("gatehouse-redis-cache", "nginx", 1.00, "a stage cache hit from Redis")
		if (("nginx" in R) && ("gatehouse" in R)) {
			printf "\ntargets: gatehouse req/s >= 0.75x nginx: %s (%.2fx); gatehouse CPU/req <= 2x nginx: %s (%.2fx)\n",
				R["gatehouse"] >= 0.75 * R["nginx"] ? "MET" : "NOT MET", R["gatehouse"] / R["nginx"],
				C["gatehouse"] <= 2 * C["nginx"] ? "MET" : "NOT MET", C["gatehouse"] / C["nginx"]
		}
	}' "$RESULTS"
if [ -s "$OUT/redis.tsv" ]; then
	echo
	echo "Redis server CPU per request (us), by round:"
	cat "$OUT/redis.tsv"
fi
echo
echo "raw results: $RESULTS; load after: $(cat /proc/loadavg)"
