#!/usr/bin/env bash
# Load test on loopback: the release build of example-app driven by wrk
# (2 threads, 64 connections) on /health, /users/me and the bench-only
# baselines, interleaved over several rounds so drift hits every variant alike.
#
# Reports requests/s and server CPU per request: the server's utime+stime
# from /proc/PID/stat over each run, divided by the requests wrk completed.
#
# Usage: scripts/load.sh [seconds per run, default 10] [rounds, default 3]
# Needs: wrk (apt-get install wrk), curl.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-10}
ROUNDS=${2:-3}
PORT=${PORT:-18080}
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }

cargo build --release -q -p example-app --features baseline
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export JWT_SECRET
BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn ./target/release/example-app &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT

for _ in $(seq 100); do curl -fs "$BASE/health" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -fs -X POST "$BASE/token" -d 'username=johndoe&password=secret' \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
[ -n "$TOKEN" ] || { echo "login failed" >&2; exit 1; }

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }

# name path
VARIANTS=(
  "health /health"
  "bare /baseline/bare"
  "hand_written /baseline/manual"
  "authenticated /users/me"
  "requires_role /baseline/role"
)

RESULTS=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for variant in "${VARIANTS[@]}"; do
    read -r name path <<<"$variant"
    before=$(cpu_ticks)
    out=$(wrk -t2 -c64 -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$BASE$path")
    after=$(cpu_ticks)
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
    errors=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
    cpu_us=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$requests" \
      'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
    echo "$name $rps $cpu_us ${errors:-0}" >>"$RESULTS"
    printf 'round %d %-14s %10s req/s %8s us CPU/req  non-2xx=%s\n' \
      "$round" "$name" "$rps" "$cpu_us" "${errors:-0}"
  done
done

echo
echo "median over $ROUNDS rounds of ${DURATION}s (wrk -t2 -c64, loopback):"
printf '%-14s %12s %14s\n' variant "req/s" "CPU us/req"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for variant in "${VARIANTS[@]}"; do
  read -r name _ <<<"$variant"
  rps=$(awk -v n="$name" '$1 == n { print $2 }' "$RESULTS" | median)
  cpu=$(awk -v n="$name" '$1 == n { print $3 }' "$RESULTS" | median)
  printf '%-14s %12s %14s\n' "$name" "$rps" "$cpu"
  eval "RPS_$name=$rps CPU_$name=$cpu"
done
echo
awk -v a="$CPU_authenticated" -v h="$CPU_hand_written" -v ra="$RPS_authenticated" -v rh="$RPS_hand_written" \
  'BEGIN { printf "guard vs hand-written: %+.2f us CPU/req (target <= +0.5), %.1f%% of its req/s (target >= 95%%)\n", a - h, 100 * ra / rh }'
awk -v a="$CPU_authenticated" -v b="$CPU_bare" \
  'BEGIN { printf "guard vs bare (no auth at all): %+.2f us CPU/req\n", a - b }'
rm -f "$RESULTS"
