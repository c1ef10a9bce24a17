#!/usr/bin/env bash
# bench/ratio.sh — what a governed call costs next to the least a Go
# gateway can do, measured in one run: the shared harness's floorproxy
# (httputil.ReverseProxy to the same mock upstream) and Gatehouse on the
# embedded SQLite database and on PostgreSQL, each pinned to CPU 1 while
# the mock upstream and the load generator run on CPU 0 (as the harness's
# run.sh pins them), one after another against the same mock.
#
# It prints the table of issue 11: CPU per request and its ratio to the
# floor's (c=50, upstream 0 ms, plain and streamed with 20 chunks), the
# CPU each streamed chunk adds, the p50 added at c=1, one team's
# throughput, 512 concurrent streams (20 chunks 5 ms apart) against the
# mock directly, and RSS idle and with 200 calls in flight.
#
#   bench/ratio.sh                                  # both engines, 6 s runs
#   ENGINES=sqlite DURATION=5s bench/ratio.sh       # quicker
#
# Knobs: DURATION, WARMUP (per run), ENGINES ("sqlite postgres"),
# PG_URL (a server the script may create a database on; the database is
# dropped at the end), BENCH_DIR (the shared harness), OUT, SCHED (rt when
# root, else none), STREAMS512=0 to skip the 512-stream run, RSS=0 to
# skip the 200-in-flight run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[[ -d $BENCH_DIR ]] || BENCH_DIR=$ROOT/../../shared/bench # from a worktree in wt/
[[ -d $BENCH_DIR/cmd/floorproxy ]] || { echo "ratio: no load harness with floorproxy at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
OUT=${OUT:-/tmp/gatehouse-ratio-$(date +%Y%m%d-%H%M%S)}
DURATION=${DURATION:-6s}
WARMUP=${WARMUP:-1s}
ENGINES=${ENGINES:-"sqlite postgres"}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
STREAMS512=${STREAMS512:-1}
RSS=${RSS:-1}
MOCK_ADDR=${MOCK_ADDR:-127.0.0.1:18181}
FLOOR_ADDR=127.0.0.1:18190
declare -A ADDRS=([sqlite]=127.0.0.1:18103 [postgres]=127.0.0.1:18104)
MASTER=bench-master-key-0123456789abcdef0123456789
ENCKEY=$(printf '%064d' 7)
if [[ $(id -u) == 0 ]]; then SCHED=${SCHED:-rt}; else SCHED=${SCHED:-none}; fi
case $SCHED in rt) PRIO=(chrt -r 10) ;; none) PRIO=() ;; *) echo "ratio: SCHED must be rt or none" >&2; exit 1 ;; esac
mkdir -p "$OUT"/{bin,results,logs}

echo "== building harness and gatehouse into $OUT/bin"
(cd "$BENCH_DIR" && go build -o "$OUT/bin/" ./cmd/...)
(cd "$ROOT" && go build -o "$OUT/bin/gatehouse" ./cmd/gatehouse)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

STARTED=()
PGDB=""
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $PGDB ]]; then psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
wait_http() { local i; for ((i = 0; i < $2 * 10; i++)); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done; return 1; }

echo "== mock upstream on $MOCK_ADDR (CPU 0), floor on $FLOOR_ADDR (CPU 1)"
"${PRIO[@]}" taskset -c 0 "$OUT/bin/mockupstream" -addr "$MOCK_ADDR" -latency 0ms -chunks 20 -chunk-interval 0ms >"$OUT/logs/mock.log" 2>&1 &
MOCK_PID=$!; STARTED+=("$MOCK_PID")
wait_http "http://$MOCK_ADDR/_mock/stats" 10 || { echo "ratio: mock did not start" >&2; exit 1; }
"${PRIO[@]}" taskset -c 1 "$OUT/bin/floorproxy" -addr "$FLOOR_ADDR" -upstream "http://$MOCK_ADDR" >"$OUT/logs/floor.log" 2>&1 &
declare -A PIDS=([floor]=$!) URLS=([floor]=http://$FLOOR_ADDR/v1/chat/completions) HDRS=([floor]="")
STARTED+=("${PIDS[floor]}")
wait_http "http://$FLOOR_ADDR/health" 10 || { echo "ratio: floorproxy did not start" >&2; exit 1; }

TARGETS=(floor)
for engine in $ENGINES; do
  addr=${ADDRS[$engine]}
  env=(GATEHOUSE_MASTER_KEY=$MASTER GATEHOUSE_ENCRYPTION_KEY=$ENCKEY)
  if [[ $engine == postgres ]]; then
    PGDB=gh_ratio_$$
    psql -q "$PG_URL" -c "CREATE DATABASE $PGDB" >/dev/null
    env+=(GATEHOUSE_DATABASE_URL="${PG_URL/\/postgres\?//$PGDB?}" GATEHOUSE_AUTO_MIGRATE=true)
  fi
  mkdir -p "$OUT/$engine/data"
  echo "== provisioning gatehouse ($engine)"
  key=$(env "${env[@]}" bash -c "source '$ROOT/bench/lib.sh'; provision_gatehouse '$OUT/bin/gatehouse' '$OUT/$engine/data' '$addr' '$MASTER' '$MOCK_ADDR'")
  env "${env[@]}" "${PRIO[@]}" taskset -c 1 "$OUT/bin/gatehouse" serve --addr "$addr" --data-dir "$OUT/$engine/data" >"$OUT/logs/gatehouse-$engine.log" 2>&1 &
  PIDS[$engine]=$!; STARTED+=("${PIDS[$engine]}")
  wait_http "http://$addr/ready" 60 || { echo "ratio: gatehouse ($engine) not ready (see $OUT/logs/gatehouse-$engine.log)" >&2; exit 1; }
  URLS[$engine]=http://$addr/v1/chat/completions
  HDRS[$engine]="Authorization: Bearer $key"
  TARGETS+=("$engine")
done

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc --all) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo "go: $(go version)  sched: $SCHED  runs: $DURATION after $WARMUP warm-up"
} | tee "$OUT/setup.txt"

run() { # name target mode c [loadgen args...]
  local name=$1 t=$2 mode=$3 c=$4; shift 4
  local body=$BENCH_DIR/bodies/openai-chat.json hdr=() stream=()
  [[ $mode == stream ]] && { body=$BENCH_DIR/bodies/openai-chat-stream.json; stream=(-stream); }
  [[ -n ${HDRS[$t]:-} ]] && hdr=(-header "${HDRS[$t]}")
  local watch=(-watch-pid "$MOCK_PID")
  [[ $t != direct ]] && watch=(-watch-pid "${PIDS[$t]}" -watch-pid "$MOCK_PID")
  local url=${URLS[$t]:-http://$MOCK_ADDR/v1/chat/completions}
  echo "-- $name: $t $mode c=$c $*"
  "${PRIO[@]}" taskset -c 0 "$OUT/bin/loadgen" -url "$url" -body "$body" -c "$c" -d "$DURATION" -warmup "$WARMUP" "${stream[@]}" "${hdr[@]}" \
    "${watch[@]}" "$@" -json "$OUT/results/$name-$t.json" >>"$OUT/logs/loadgen.log" 2>&1
}

mockcfg() { curl -s -o /dev/null -X POST "http://$MOCK_ADDR/_mock/config?$1"; }

for t in "${TARGETS[@]}"; do
  [[ $t != floor ]] && grep VmRSS "/proc/${PIDS[$t]}/status" | awk '{print $2}' >"$OUT/results/idle-rss-$t.txt"
  mockcfg "latency=0ms&chunk-interval=0ms"
  run chat50 "$t" chat 50
  run stream50 "$t" stream 50
  run chat1 "$t" chat 1
done
# RSS first: its peak (VmHWM) counts from the start, before 512 streams.
if [[ $RSS == 1 ]]; then
  mockcfg "latency=50ms&chunk-interval=0ms"
  for t in "${TARGETS[@]}"; do [[ $t != floor ]] && run inflight200 "$t" chat 200; done
fi
if [[ $STREAMS512 == 1 ]]; then
  mockcfg "latency=0ms&chunk-interval=5ms"
  run streams512 direct stream 512
  for t in "${TARGETS[@]}"; do [[ $t != floor ]] && run streams512 "$t" stream 512; done
fi
mockcfg "latency=0ms&chunk-interval=0ms"

python3 - "$OUT/results" "${TARGETS[@]}" <<'EOF' | tee "$OUT/report.md"
import json, os, sys
res, targets = sys.argv[1], sys.argv[2:]
def load(name, t):
    p = os.path.join(res, f"{name}-{t}.json")
    return json.load(open(p)) if os.path.exists(p) else None
def cpu(r):
    return r["watched"][0]["cpu_us_per_req"] if r and r.get("watched") else float("nan")
def errs(r):
    return r["errors"] if r else 0
floor = {n: load(n, "floor") for n in ("chat50", "stream50", "chat1")}
fc, fs = cpu(floor["chat50"]), cpu(floor["stream50"])
print("| figure | floor | " + " | ".join(f"Gatehouse, {t}" for t in targets if t != "floor") + " | target |")
print("|---|---|" + "---|" * (len(targets) - 1) + "---|")
def row(label, fl, fn, target):
    cells = [fn(t) for t in targets if t != "floor"]
    print(f"| {label} | {fl} | " + " | ".join(cells) + f" | {target} |")
row("CPU per request, c=50, upstream 0 ms", f"{fc:.0f} µs", lambda t: f"{cpu(load('chat50', t)):.0f} µs (**{cpu(load('chat50', t))/fc:.2f}×**)", "≤ 3× SQLite, ≤ 4× PostgreSQL")
row("requests/s, c=50 (one team)", f"{floor['chat50']['rps']:.0f}", lambda t: f"{load('chat50', t)['rps']:.0f}", "≥ 1 500 on PostgreSQL")
row("streamed call (20 chunks), CPU per request", f"{fs:.0f} µs", lambda t: f"{cpu(load('stream50', t)):.0f} µs (**{cpu(load('stream50', t))/fs:.2f}×**)", "≤ 2.5×")
row("CPU per streamed chunk beyond the plain call", f"{(fs-fc)/20:.1f} µs", lambda t: f"{(cpu(load('stream50', t))-cpu(load('chat50', t)))/20:.1f} µs", "≤ 8 µs")
fp = floor["chat1"]["latency_total"]["p50_us"]
row("p50 at c=1 (added over the floor)", f"{fp:.0f} µs", lambda t: f"{load('chat1', t)['latency_total']['p50_us']:.0f} µs (+{(load('chat1', t)['latency_total']['p50_us']-fp)/1000:.2f} ms)", "≤ +0.3 ms")
d = load("streams512", "direct")
if d:
    dp = d["latency_first_event"]["p99_us"]
    row("512 streams, 5 ms chunks: p99 first event (direct: %.1f ms), errors" % (dp/1000), "—",
        lambda t: (lambda r: f"{r['latency_first_event']['p99_us']/1000:.1f} ms (+{(r['latency_first_event']['p99_us']-dp)/1000:.1f} ms), {errs(r)} errors, {r['rps']:.0f} streams/s" if r else "—")(load("streams512", t)),
        "no error, ≤ +20 ms")
def rss(t):
    idle = open(os.path.join(res, f"idle-rss-{t}.txt")).read().strip() if os.path.exists(os.path.join(res, f"idle-rss-{t}.txt")) else ""
    r = load("inflight200", t)
    busy = f"{r['watched'][0]['vm_hwm_kb']/1024:.0f}" if r else "—"
    return f"{busy} / {int(idle)/1024:.0f} MiB" if idle else busy
row("RSS: peak with 200 calls in flight (upstream 50 ms) / idle at start", "—", rss, "≤ 100 / ≤ 50 MiB")
errors = sum(errs(load(n, t)) for n in ("chat50", "stream50", "chat1") for t in targets)
print(f"\nerrors in the c=50 and c=1 runs: {errors}")
EOF
echo "results: $OUT/results  report: $OUT/report.md  setup: $OUT/setup.txt"
