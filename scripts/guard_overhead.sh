#!/usr/bin/env bash
# What the guard costs over a hand-written verifier, each in a minimal axum
# server of its own (no example-app middleware), on loopback:
#
#   scripts/guard_overhead.sh [SECONDS] [ROUNDS]
#
# Variants, interleaved in every round (wrk -t2 -c64, one token for all):
#   hand_written        GET /users/me  tests/src/bin/guard_hand_written.rs (jsonwebtoken
#                                      extractor; its /health is plain axum::serve)
#   rbac_core           GET /users/me  tests/src/bin/guard_rbac_core.rs (Auth::new +
#                                      MemoryUserStore, #[requires_role("user")])
#   org_global          GET /orgs/acme/global  guard_rbac_core, #[requires_role("user")]
#   org_scoped          GET /orgs/acme/scoped  guard_rbac_core, #[requires_role("user", in = org)]
#   health_plain        GET /health    guard_hand_written (plain axum::serve)
#   health_example_app  GET /health    example-app (its timeouts and accept loop)
#
# Server CPU per request comes from /proc/PID/stat (utime + stime) around each
# wrk run. The token is the rbac-core server's login (jti, sid, scope, roles,
# generation, kid), verified by both.
#
# Needs: wrk (apt-get install wrk), curl.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-10}
ROUNDS=${2:-3}
PORT_HAND=${PORT_HAND:-18090}
PORT_RBAC=${PORT_RBAC:-18091}
PORT_APP=${PORT_APP:-18092}
TARGET=${CARGO_TARGET_DIR:-./target}
# BIN_DIR: run binaries built elsewhere (say, from another commit) instead of building.
BIN_DIR=${BIN_DIR:-}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }

if [ -z "$BIN_DIR" ]; then
  cargo build --release -q -p tests --bin guard_hand_written --bin guard_rbac_core
  cargo build --release -q -p example-app
  BIN_DIR=$TARGET/release
fi
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export JWT_SECRET RUST_LOG=warn

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no server at $1" >&2; exit 1; }

token_file=$(mktemp)
"$BIN_DIR/guard_hand_written" "127.0.0.1:$PORT_HAND" & HAND=$!; PIDS+=("$HAND")
"$BIN_DIR/guard_rbac_core" "127.0.0.1:$PORT_RBAC" >"$token_file" & RBAC=$!; PIDS+=("$RBAC")
DATABASE_URL=memory: BIND_ADDR="127.0.0.1:$PORT_APP" "$BIN_DIR/example-app" & APP=$!; PIDS+=("$APP")
wait_up "http://127.0.0.1:$PORT_HAND/health"
wait_up "http://127.0.0.1:$PORT_RBAC/users/me"
wait_up "http://127.0.0.1:$PORT_APP/health"
TOKEN=$(head -n1 "$token_file")
rm -f "$token_file"
[ -n "$TOKEN" ] || { echo "no token from guard_rbac_core" >&2; exit 1; }
echo "token: ${#TOKEN} bytes"
for url in "http://127.0.0.1:$PORT_HAND/users/me" "http://127.0.0.1:$PORT_RBAC/users/me" \
  "http://127.0.0.1:$PORT_RBAC/orgs/acme/global" "http://127.0.0.1:$PORT_RBAC/orgs/acme/scoped"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$url")" = 200 ] \
    || { echo "$url refuses the token" >&2; exit 1; }
done

# name, pid, url
variants=("hand_written $HAND http://127.0.0.1:$PORT_HAND/users/me"
  "rbac_core $RBAC http://127.0.0.1:$PORT_RBAC/users/me"
  "org_global $RBAC http://127.0.0.1:$PORT_RBAC/orgs/acme/global"
  "org_scoped $RBAC http://127.0.0.1:$PORT_RBAC/orgs/acme/scoped"
  "health_plain $HAND http://127.0.0.1:$PORT_HAND/health"
  "health_example_app $APP http://127.0.0.1:$PORT_APP/health")
clk_tck=$(getconf CLK_TCK)
results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for variant in "${variants[@]}"; do
    read -r name pid url <<<"$variant"
    before=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    out=$(wrk -t2 -c64 -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$url")
    after=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
    errors=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
    cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" \
      'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
    echo "$round $name $rps $cpu_us" >>"$results"
    printf 'round %d %-19s %10s req/s %8s us CPU/req  non-2xx=%s\n' \
      "$round" "$name" "$rps" "$cpu_us" "${errors:-0}"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "median over $ROUNDS rounds of ${DURATION}s (wrk -t2 -c64, loopback):"
printf '%-19s %12s %12s\n' variant "req/s" "CPU us/req"
for variant in "${variants[@]}"; do
  read -r name _ <<<"$variant"
  printf '%-19s %12s %12s\n' "$name" \
    "$(awk -v n="$name" '$2 == n { print $3 }' "$results" | median)" \
    "$(awk -v n="$name" '$2 == n { print $4 }' "$results" | median)"
done
# Differences are taken within each round (the two ran back to back), then the median.
diff_of() {
  awk -v a="$1" -v b="$2" -v col="$3" '$2 == a { x[$1] = $col } $2 == b { y[$1] = $col }
    END { for (r in x) print x[r] - y[r] }' "$results" | median
}
ratio_of() {
  awk -v a="$1" -v b="$2" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
    END { for (r in x) print x[r] / y[r] }' "$results" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f-%.2f", v[1], v[NR] }'
}
echo
printf 'rbac_core vs hand_written: %+.2f us CPU/req (median of per-round differences; target <= +1.0), req/s ratio %s\n' \
  "$(diff_of rbac_core hand_written 4)" "$(ratio_of rbac_core hand_written)"
printf 'scoped vs global check (same server, same Path): %+.2f us CPU/req (target <= +0.2)\n' \
  "$(diff_of org_scoped org_global 4)"
printf 'example-app /health vs plain axum::serve: %+.2f us CPU/req\n' \
  "$(diff_of health_example_app health_plain 4)"
rm -f "$results"
