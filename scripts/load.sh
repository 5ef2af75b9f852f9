#!/usr/bin/env bash
# Load tests on loopback against the release build of example-app.
#
#   scripts/load.sh [guard] [SECONDS] [ROUNDS]  guard overhead: wrk (-t2 -c64) on /health,
#                                              /users/me and bench-only baselines, interleaved;
#                                              req/s and server CPU per request
#   scripts/load.sh storm [SECONDS]            /users/me latency, quiet vs during 256
#                                              concurrent wrong-password logins; server RSS
#   scripts/load.sh timing [ROUNDS]            median login time, unknown user vs wrong
#                                              password, with throttling off and on
#   scripts/load.sh stores [SECONDS] [ROUNDS]  /users/me on each user store, interleaved:
#                                              memory, SQLite and PostgreSQL (cached, 1 s
#                                              bound) and both SQL stores uncached
#
# guard, storm and timing run on the memory store unless DATABASE_URL says otherwise.
# PostgreSQL (for `stores`): postgres://postgres@127.0.0.1:5432/test, schema rbac_load.
#
# Needs: wrk (apt-get install wrk) for `guard`, curl.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=guard
case "${1:-}" in guard|storm|timing|stores) MODE=$1; shift ;; esac
PORT=${PORT:-18080}
BASE="http://127.0.0.1:$PORT"
SERVER=

TARGET=${CARGO_TARGET_DIR:-./target}
cargo build --release -q -p example-app --features baseline,postgres
cargo build --release -q -p tests --bin loadgen
LOADGEN=$TARGET/release/loadgen
export DATABASE_URL=${DATABASE_URL:-memory:}
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export JWT_SECRET

start_server() {
  stop_server
  BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn "$TARGET/release/example-app" "$@" &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "$BASE/health" >/dev/null && break; sleep 0.1; done
  TOKEN=$(curl -fs -X POST "$BASE/token" -d 'username=johndoe&password=secret' \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  [ -n "$TOKEN" ] || { echo "login failed" >&2; exit 1; }
}
stop_server() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=; return 0; }
trap stop_server EXIT

guard() {
  local duration=${1:-10} rounds=${2:-3}
  command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
  start_server
  local clk_tck results
  clk_tck=$(getconf CLK_TCK)
  results=$(mktemp)
  local variants=("health /health" "bare /baseline/bare" "hand_written /baseline/manual"
    "authenticated /users/me" "requires_role /baseline/role")
  for round in $(seq "$rounds"); do
    for variant in "${variants[@]}"; do
      read -r name path <<<"$variant"
      local before after out requests rps errors cpu_us
      before=$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")
      out=$(wrk -t2 -c64 -d"${duration}s" -H "Authorization: Bearer $TOKEN" "$BASE$path")
      after=$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")
      requests=$(awk '/requests in/ { print $1 }' <<<"$out")
      rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
      errors=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
      cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" \
        'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
      echo "$name $rps $cpu_us" >>"$results"
      printf 'round %d %-14s %10s req/s %8s us CPU/req  non-2xx=%s\n' \
        "$round" "$name" "$rps" "$cpu_us" "${errors:-0}"
    done
  done
  echo
  echo "median over $rounds rounds of ${duration}s (wrk -t2 -c64, loopback):"
  printf '%-14s %12s %14s\n' variant "req/s" "CPU us/req"
  median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  for variant in "${variants[@]}"; do
    read -r name _ <<<"$variant"
    local rps cpu
    rps=$(awk -v n="$name" '$1 == n { print $2 }' "$results" | median)
    cpu=$(awk -v n="$name" '$1 == n { print $3 }' "$results" | median)
    printf '%-14s %12s %14s\n' "$name" "$rps" "$cpu"
    eval "RPS_$name=$rps CPU_$name=$cpu"
  done
  echo
  awk -v a="$CPU_authenticated" -v h="$CPU_hand_written" -v ra="$RPS_authenticated" -v rh="$RPS_hand_written" \
    'BEGIN { printf "guard vs hand-written: %+.2f us CPU/req (target <= +0.5), %.1f%% of its req/s (target >= 95%%)\n", a - h, 100 * ra / rh }'
  awk -v a="$CPU_authenticated" -v b="$CPU_bare" 'BEGIN { printf "guard vs bare (no auth at all): %+.2f us CPU/req\n", a - b }'
  rm -f "$results"
}

storm() {
  local duration=${1:-15}
  # Throttling off, so every login really hashes: this measures the hashing pool.
  start_server --disable-login-throttle
  echo "== quiet: /users/me, 16 connections"
  "$LOADGEN" "127.0.0.1:$PORT" "$duration" --pid "$SERVER" --token "$TOKEN" 16:valid
  echo "== storm: /users/me, 16 connections, plus 256 connections of wrong-password logins"
  "$LOADGEN" "127.0.0.1:$PORT" "$duration" --pid "$SERVER" --token "$TOKEN" 16:valid 256:wrong_login
}

timing() {
  local rounds=${1:-50}
  start_server --disable-login-throttle
  echo "== throttling off (every login hashes)"
  "$LOADGEN" "127.0.0.1:$PORT" timing "$rounds"
  start_server
  echo "== throttling on (after the burst, both get 429 before any hashing)"
  "$LOADGEN" "127.0.0.1:$PORT" timing "$rounds"
}

stores() {
  local duration=${1:-10} rounds=${2:-3}
  command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
  local dir results clk_tck pg
  dir=$(mktemp -d)
  results=$(mktemp)
  clk_tck=$(getconf CLK_TCK)
  pg="postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Drbac_load"
  psql -q -h 127.0.0.1 -U postgres test -c "DROP SCHEMA IF EXISTS rbac_load CASCADE; CREATE SCHEMA rbac_load" >/dev/null
  # name, DATABASE_URL, USER_CACHE_TTL_MS
  local variants=("memory memory: 1000" "sqlite sqlite://$dir/load.db 1000" "postgres $pg 1000"
    "sqlite_uncached sqlite://$dir/load.db 0" "postgres_uncached $pg 0")
  for round in $(seq "$rounds"); do
    for variant in "${variants[@]}"; do
      read -r name url ttl <<<"$variant"
      export DATABASE_URL=$url USER_CACHE_TTL_MS=$ttl
      start_server
      local before after out requests rps errors cpu_us
      before=$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")
      out=$(wrk -t2 -c64 -d"${duration}s" -H "Authorization: Bearer $TOKEN" "$BASE/users/me")
      after=$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")
      requests=$(awk '/requests in/ { print $1 }' <<<"$out")
      rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
      errors=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
      cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" \
        'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
      echo "$name $rps $cpu_us" >>"$results"
      printf 'round %d %-18s %10s req/s %8s us CPU/req  non-2xx=%s\n' \
        "$round" "$name" "$rps" "$cpu_us" "${errors:-0}"
    done
  done
  stop_server
  echo
  echo "median over $rounds rounds of ${duration}s (wrk -t2 -c64, loopback, GET /users/me):"
  printf '%-18s %12s %14s\n' store "req/s" "CPU us/req"
  median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  for variant in "${variants[@]}"; do
    read -r name _ <<<"$variant"
    local rps cpu
    rps=$(awk -v n="$name" '$1 == n { print $2 }' "$results" | median)
    cpu=$(awk -v n="$name" '$1 == n { print $3 }' "$results" | median)
    printf '%-18s %12s %14s\n' "$name" "$rps" "$cpu"
    eval "RPS_$name=$rps"
  done
  awk -v s="$RPS_sqlite" -v m="$RPS_memory" -v p="$RPS_postgres" \
    'BEGIN { printf "\nSQLite %.1f%% of memory req/s (target >= 80%%); PostgreSQL %.1f%%\n", 100 * s / m, 100 * p / m }'
  rm -rf "$dir" "$results"
}

"$MODE" "$@"
