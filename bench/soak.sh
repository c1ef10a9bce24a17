#!/usr/bin/env bash
# bench/soak.sh — a long run of mixed traffic to show that memory and
# goroutines stay flat: no leak per request, per stream, or per client
# that walks away. Not part of CI (it takes DURATION, 10 minutes by
# default); run it before a release and keep the figures in the README.
#
# It builds gatehouse and the shared load harness's mockupstream and
# loadgen (../shared/bench, or BENCH_DIR), provisions a fresh embedded
# database (bench/lib.sh), starts gatehouse with its runtime profiles on
# its API port (pprof: true, read with the master key), and then for
# DURATION runs at once:
#   - plain /v1/chat/completions calls, PLAIN_C workers (closed loop);
#   - streamed calls read to the end, STREAM_C workers;
#   - streamed calls whose client hangs up after 60 ms, mid-stream (one
#     curl at a time), which cancels the upstream request and records
#     what was delivered.
# The upstream answers after LATENCY, streams CHUNKS chunks CHUNK_INTERVAL
# apart. Every SAMPLE seconds it records gatehouse's RSS (VmRSS), its
# goroutine count (from /debug/pprof/goroutine), threads and Go heap in
# use (HeapInuse, from /debug/pprof/heap; RSS also holds the embedded
# database's page cache, which lives outside the Go heap) into
# $OUT/samples.csv, and at the end prints a summary: idle before, the
# first and last minutes under load, and idle again after the load stops
# (10 s after, and SETTLE s after, once pooled upstream connections have
# timed out).
#
#   bench/soak.sh                       # 10 minutes
#   DURATION=2m bench/soak.sh           # a quick look
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[[ -d $BENCH_DIR/cmd/loadgen ]] || { echo "soak: no load harness at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
OUT=${OUT:-/tmp/gatehouse-soak-$(date +%Y%m%d-%H%M%S)}
DURATION=${DURATION:-10m}
SAMPLE=${SAMPLE:-10}
SETTLE=${SETTLE:-100}
PLAIN_C=${PLAIN_C:-4}
STREAM_C=${STREAM_C:-4}
LATENCY=${LATENCY:-50ms}
CHUNKS=${CHUNKS:-20}
CHUNK_INTERVAL=${CHUNK_INTERVAL:-5ms}
MOCK_ADDR=${MOCK_ADDR:-127.0.0.1:18091}
ADDR=${GATEHOUSE_BENCH_ADDR:-127.0.0.1:18013}
MASTER=bench-master-key-0123456789abcdef0123456789
DATA=$OUT/data
mkdir -p "$OUT" "$DATA"
seconds() { # a Go-style duration (10m, 90s, 1h) in seconds
  local d=$1
  case $d in *h) echo $((${d%h} * 3600)) ;; *m) echo $((${d%m} * 60)) ;; *s) echo "${d%s}" ;; *) echo "$d" ;; esac
}
DURATION_S=$(seconds "$DURATION")

echo "== building into $OUT"
(cd "$ROOT" && go build -o "$OUT/gatehouse" ./cmd/gatehouse)
(cd "$BENCH_DIR" && go build -o "$OUT/" ./cmd/mockupstream ./cmd/loadgen)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$OUT/mockupstream" -addr "$MOCK_ADDR" -latency "$LATENCY" -chunks "$CHUNKS" -chunk-interval "$CHUNK_INTERVAL" -q \
  >"$OUT/mock.log" 2>&1 &
pids+=($!)

echo "== provisioning $DATA"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
KEY=$(provision_gatehouse "$OUT/gatehouse" "$DATA" "$ADDR" "$MASTER" "$MOCK_ADDR")

GATEHOUSE_MASTER_KEY=$MASTER "$OUT/gatehouse" serve --addr "$ADDR" --data-dir "$DATA" --pprof true \
  --log-level warn >"$OUT/gatehouse.log" 2>&1 &
GH=$!
pids+=("$GH")
for _ in $(seq 1 100); do curl -fsS "http://$ADDR/ready" >/dev/null 2>&1 && break; sleep 0.1; done

goroutines() { curl -fsS -H "Authorization: Bearer $MASTER" "http://$ADDR/debug/pprof/goroutine?debug=1" | sed -n 's/^goroutine profile: total //p'; }
heap_kb() { curl -fsS -H "Authorization: Bearer $MASTER" "http://$ADDR/debug/pprof/heap?debug=1" | awk '$2 == "HeapInuse" { print int($4 / 1024) }'; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$GH/status"; }
sample() { # phase elapsed
  echo "$1,$2,$(status_kb VmRSS),$(goroutines),$(status_kb Threads),$(heap_kb)" >>"$OUT/samples.csv"
}
echo "phase,elapsed_s,rss_kb,goroutines,threads,heap_inuse_kb" >"$OUT/samples.csv"

# Idle baseline: one warm-up request of each kind first, so lazily built
# things (upstream transport, prepared statements) exist in both idle
# samples.
BODY=$BENCH_DIR/bodies/openai-chat.json
STREAM_BODY=$BENCH_DIR/bodies/openai-chat-stream.json
curl -fsS "http://$ADDR/v1/chat/completions" -H "Authorization: Bearer $KEY" -d @"$BODY" >/dev/null
curl -fsS -N "http://$ADDR/v1/chat/completions" -H "Authorization: Bearer $KEY" -d @"$STREAM_BODY" >/dev/null
sleep 2
sample idle-before 0

echo "== soaking for $DURATION: $PLAIN_C plain + $STREAM_C streaming workers + clients hanging up mid-stream"
"$OUT/loadgen" -url "http://$ADDR/v1/chat/completions" -body "$BODY" -header "Authorization: Bearer $KEY" \
  -c "$PLAIN_C" -d "${DURATION_S}s" -warmup 0s -json "$OUT/plain.json" >"$OUT/plain.txt" 2>&1 &
LG1=$!
"$OUT/loadgen" -url "http://$ADDR/v1/chat/completions" -body "$STREAM_BODY" -header "Authorization: Bearer $KEY" -stream \
  -c "$STREAM_C" -d "${DURATION_S}s" -warmup 0s -json "$OUT/stream.json" >"$OUT/stream.txt" 2>&1 &
LG2=$!
(
  end=$((SECONDS + DURATION_S)); n=0
  while ((SECONDS < end)); do
    curl -sS -N --max-time 0.06 "http://$ADDR/v1/chat/completions" -H "Authorization: Bearer $KEY" -d @"$STREAM_BODY" \
      >/dev/null 2>&1 || true
    n=$((n + 1))
  done
  echo "$n" >"$OUT/hangups.txt"
) &
HANG=$!
pids+=("$LG1" "$LG2" "$HANG")
start=$SECONDS
while kill -0 "$LG1" 2>/dev/null || kill -0 "$LG2" 2>/dev/null; do
  sleep "$SAMPLE"
  sample load $((SECONDS - start))
done
wait "$LG1" "$LG2" "$HANG" || true
sleep 10 # the last records commit, clients' connections close
sample idle-just-after $((SECONDS - start))
# Pooled upstream connections (two goroutines each) close after the
# transport's 90 s idle timeout; after that the count must be back at the
# idle baseline whatever the number of requests served.
sleep "$SETTLE"
sample idle-after $((SECONDS - start))

echo "== results ($OUT)"
cat "$OUT/plain.txt" "$OUT/stream.txt" | grep -Ei 'requests|errors|rps|p50' || true
echo "client hang-ups mid-stream: $(cat "$OUT/hangups.txt")"
awk -F, -v dur="$DURATION_S" '
  NR == 1 { next }
  $1 == "idle-before" { ib_rss = $3; ib_g = $4; ib_h = $6 }
  $1 == "idle-just-after" { ij_rss = $3; ij_g = $4; ij_h = $6 }
  $1 == "idle-after"  { ia_rss = $3; ia_g = $4; ia_h = $6 }
  $1 == "load" && $2 <= 60        { f_rss += $3; f_g += $4; f_h += $6; fn++ }
  $1 == "load" && $2 > dur - 60   { l_rss += $3; l_g += $4; l_h += $6; ln++ }
  $1 == "load" { if ($3 > max_rss) max_rss = $3; if ($4 > max_g) max_g = $4; if ($6 > max_h) max_h = $6 }
  END {
    printf "| | RSS (MiB) | Go heap in use (MiB) | goroutines |\n|---|---|---|---|\n"
    printf "| idle, before | %.1f | %.1f | %d |\n", ib_rss / 1024, ib_h / 1024, ib_g
    if (fn) printf "| first minute under load (mean) | %.1f | %.1f | %.0f |\n", f_rss / fn / 1024, f_h / fn / 1024, f_g / fn
    if (ln) printf "| last minute under load (mean) | %.1f | %.1f | %.0f |\n", l_rss / ln / 1024, l_h / ln / 1024, l_g / ln
    printf "| peak under load | %.1f | %.1f | %d |\n", max_rss / 1024, max_h / 1024, max_g
    printf "| idle, 10 s after | %.1f | %.1f | %d |\n", ij_rss / 1024, ij_h / 1024, ij_g
    printf "| idle, after upstream connections timed out | %.1f | %.1f | %d |\n", ia_rss / 1024, ia_h / 1024, ia_g
  }' "$OUT/samples.csv" | tee "$OUT/summary.md"
