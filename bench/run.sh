#!/usr/bin/env bash
# bench/run.sh — measure what Gatehouse adds per request with the shared
# load harness (../shared/bench, or BENCH_DIR): builds gatehouse, provisions
# a fresh embedded database (a credential pointing at the harness's mock
# upstream, alias gpt-4o-mini, one team with plenty of credits), then runs
# the harness's run.sh against POST /v1/chat/completions with the team's key.
#
# Every request is a complete single-call job: created with its credit
# hold, admitted, called, recorded and charged.
#
# The harness's own knobs pass through (CONCURRENCY, LATENCIES, DURATION,
# WARMUP, REPS, STREAM_CONCURRENCY, SCHED, OUT, ...). Examples:
#   bench/run.sh                                  # the harness's full matrix
#   CONCURRENCY="1 50" LATENCIES=0ms DURATION=6s REPS=1 bench/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[[ -x $BENCH_DIR/run.sh ]] || { echo "bench: no load harness at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
export OUT=${OUT:-/tmp/gatehouse-bench-$(date +%Y%m%d-%H%M%S)}
export MOCK_ADDR=${MOCK_ADDR:-127.0.0.1:18081}
ADDR=${GATEHOUSE_BENCH_ADDR:-127.0.0.1:18003}
DATA=$OUT/data
MASTER=bench-master-key-0123456789abcdef0123456789
mkdir -p "$OUT" "$DATA"

echo "== building gatehouse into $OUT"
(cd "$ROOT" && go build -o "$OUT/gatehouse" ./cmd/gatehouse)

echo "== provisioning $DATA"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
KEY=$(provision_gatehouse "$OUT/gatehouse" "$DATA" "$ADDR" "$MASTER" "$MOCK_ADDR")

echo "== measuring (harness: $BENCH_DIR/run.sh)"
GATEWAY_NAME=gatehouse \
GATEWAY_URL=http://$ADDR/v1/chat/completions \
GATEWAY_HEADERS="Authorization: Bearer $KEY" \
GATEWAY_READY_URL=http://$ADDR/ready \
GATEWAY_CMD="env GATEHOUSE_MASTER_KEY=$MASTER $OUT/gatehouse serve --addr $ADDR --data-dir $DATA" \
  "$BENCH_DIR/run.sh"
