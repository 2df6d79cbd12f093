#!/usr/bin/env bash
# Load benchmarks of issue 6, measured from outside the server process with wrk on loopback:
#   1. events pushed at RATE/s for DURATION: event accepted → alert committed (visible in the
#      director's list), p50/p99/max from the server's own timestamps (events.received_at →
#      events.processed_at, millisecond precision);
#   2. directors' task lists (/m/alerts, /m/plan) with SESSIONS signed-in sessions at once.
# Usage: bash bench/load/run.sh [CHILDREN] [RATE] [DURATION] [SESSIONS]
# Needs: wrk (apt-get install wrk), sqlite3, python3, curl. Release build. Data in $DATA
# (default /tmp/humiao-load-<children>), reused when present. Results: BENCHMARKS.md.
# Environment: BIN another build of humiao to measure (not rebuilt; e.g. an older commit's,
# for a before/after on the same county); EVENTS=0 skips part 1; THINKS the think times (ms)
# of part 2b, each a run (default 500: ~100 requests/s; 250: ~200).
set -euo pipefail
cd "$(dirname "$0")/../.."
CHILDREN=${1:-100000}
RATE=${2:-200}
DURATION=${3:-60}
SESSIONS=${4:-1000}
DATA=${DATA:-/tmp/humiao-load-$CHILDREN}
PORT=${PORT:-18181}
TODAY=2026-11-22
here=bench/load
EVENTS=${EVENTS:-1}
THINKS=${THINKS:-500}

if [ -z "${BIN:-}" ]; then
  BIN=./target/release/humiao
  cargo build --release -q -p humiao-cli
fi
if [ ! -f "$DATA/humiao.db" ]; then
  echo "==> building a demo county of $CHILDREN children in $DATA"
  /usr/bin/time -v $BIN --data-dir "$DATA" demo --no-serve --children "$CHILDREN" --as-of $TODAY \
    2> "$DATA.time" | tail -2
fi
DB="$DATA/humiao.db"
echo "==> county: $(sqlite3 "$DB" 'SELECT COUNT(*) FROM persons') persons"

sqlite3 -csv "$DB" "SELECT c.citizen_id, p.citizen_id FROM relationships r
  JOIN persons c ON c.id = r.child_id JOIN persons p ON p.id = r.relative_id
  WHERE r.kind = 'father' AND c.citizen_id IS NOT NULL AND p.citizen_id IS NOT NULL
  AND c.birth_date > '2009-01-01' LIMIT 20000" | tr -d '"' > "$DATA/families.csv"
KEY=$($BIN --data-dir "$DATA" apikey add --department police --label 压测 | grep '^hmk_')

$BIN --data-dir "$DATA" serve --bind 127.0.0.1:$PORT --today $TODAY > "$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

if [ "$EVENTS" = 1 ]; then
echo "==> 1. events at $RATE/s for ${DURATION}s"
RUN=$(date +%s)
mark=$(sqlite3 "$DB" 'SELECT COALESCE(MAX(id), 0) FROM events')
KEY=$KEY FAMILIES="$DATA/families.csv" RATE=$RATE CONNS=20 TODAY=$TODAY RUN=$RUN \
  wrk -t2 -c20 -d${DURATION}s -s $here/push.lua "http://127.0.0.1:$PORT/api/v1/events"
# Let the worker finish what was accepted, then read the server's own timestamps.
for _ in $(seq 1 600); do
  left=$(sqlite3 "$DB" "SELECT COUNT(*) FROM events WHERE id > $mark AND processed_at IS NULL")
  [ "$left" = 0 ] && break; sleep 0.1
done
sqlite3 -csv "$DB" "SELECT received_at, processed_at FROM events WHERE id > $mark AND status = 'accepted'" \
  | python3 $here/latency.py
echo "alerts raised by these events: $(sqlite3 "$DB" "SELECT COUNT(*) FROM alerts WHERE created_at >= (SELECT MIN(received_at) FROM events WHERE id > $mark)")"
fi

echo "==> 2. task lists with $SESSIONS sessions"
directors=$(sqlite3 "$DB" "SELECT username FROM users WHERE role = 'child_director'" | paste -sd, -)
python3 $here/login.py "http://127.0.0.1:$PORT" "$SESSIONS" "$directors" 'Humiao@2026' > "$DATA/sessions.txt"
echo "signed in $(wc -l < "$DATA/sessions.txt") sessions for $(echo "$directors" | tr ',' '\n' | wc -l) directors"
for path in /m/alerts /m/plan; do
  # a) 1000 connections, each asking again as soon as answered (saturation: the queue is the
  #    latency); b) the 1000 sessions' requests spread over 50 keep-alive connections, each
  #    session reloading about every 10 s (~100 requests/s offered) — wrk sends every
  #    connection's first request at once, so 1000 connections with think time would measure a
  #    start-up stampede instead; and the 50 connections' first requests are the health check
  #    (tasklist.lua, FIRST), for the same reason.
  echo "--- $path: $SESSIONS connections, no think time"
  COOKIES="$DATA/sessions.txt" PATHS=$path wrk -t2 -c"$SESSIONS" -d30s --timeout 10s \
    -s $here/tasklist.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|p50|Socket"
  for think in $THINKS; do
    echo "--- $path: $SESSIONS sessions over 50 connections, ~$((50 * 1000 / think)) requests/s offered"
    COOKIES="$DATA/sessions.txt" PATHS=$path THINK_MS=$think FIRST=25 wrk -t2 -c50 -d60s --timeout 10s \
      -s $here/tasklist.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|p50|Socket"
  done
done
