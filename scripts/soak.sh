#!/usr/bin/env bash
# Soak test: 60 s (or $1) of mixed load on loopback against the release build,
# 32 connections: 16 with valid tokens, 6 with invalid tokens, 6 making
# wrong-password logins (from 127.0.0.2, like an attacker elsewhere) and 4
# following their own refresh-token rotation chains. Reports 5xx (must be 0), wrong answers (must be 0: every valid
# token 200, every invalid one 401, every wrong login 401/429, every refresh
# 200), RSS after warm-up and at the end (growth must stay under 10%), and
# requests per second. DATABASE_URL picks the store (default memory:; sqlite://...,
# postgres://...).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-60}
PORT=${PORT:-18081}
BASE="http://127.0.0.1:$PORT"
TARGET=${CARGO_TARGET_DIR:-./target}
cargo build --release -q -p example-app --features baseline,postgres
cargo build --release -q -p tests --bin loadgen
# The in-memory store, as when these figures were first taken; DATABASE_URL overrides.
export DATABASE_URL=${DATABASE_URL:-memory:}
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n') BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn \
  "$TARGET"/release/example-app &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$BASE/health" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -fs -X POST "$BASE/token" -d 'username=johndoe&password=secret' \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

echo "== warm-up (5 s)"
LOAD=(16:valid 6:invalid 6:wrong_login 4:refresh)
"$TARGET"/release/loadgen "127.0.0.1:$PORT" 5 --pid "$SERVER" --token "$TOKEN" "${LOAD[@]}" | tail -1
echo "== soak (${DURATION} s)"
OUT=$("$TARGET"/release/loadgen "127.0.0.1:$PORT" "$DURATION" --pid "$SERVER" --token "$TOKEN" "${LOAD[@]}")
echo "$OUT"
SUMMARY=$(tail -1 <<<"$OUT")
FIVE=$(sed -E 's/.*5xx=([0-9]+).*/\1/' <<<"$SUMMARY")
WRONG=$(sed -E 's/.*wrong_answers=([0-9]+).*/\1/' <<<"$SUMMARY")
START=$(sed -E 's/.*start=([0-9]+).*/\1/' <<<"$SUMMARY")
END=$(sed -E 's/.* end=([0-9]+).*/\1/' <<<"$SUMMARY")
GROWTH=$(awk -v s="$START" -v e="$END" 'BEGIN { printf "%.1f", (e - s) * 100 / s }')
echo
echo "5xx=$FIVE (must be 0)  wrong_answers=$WRONG (must be 0)  rss ${START} KiB -> ${END} KiB (${GROWTH}%, must be < 10%)"
[ "$FIVE" = 0 ] && [ "$WRONG" = 0 ] && awk -v g="$GROWTH" 'BEGIN { exit !(g < 10) }'
