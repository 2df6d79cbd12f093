#!/usr/bin/env bash
# One request at a time: the median of 30 page views of /m/plan and /m/alerts (one director's
# session) and /centre/visits (the centre's), after three warm-ups, on the county that run.sh
# built. Usage: bash bench/load/single.sh [CHILDREN]   (release build; data in $DATA)
set -euo pipefail
cd "$(dirname "$0")/../.."
CHILDREN=${1:-100000}
DATA=${DATA:-/tmp/humiao-load-$CHILDREN}
PORT=${PORT:-18182}
BIN=./target/release/humiao
here=bench/load
cargo build --release -q -p humiao-cli
$BIN --data-dir "$DATA" serve --bind 127.0.0.1:$PORT --today 2026-11-22 > "$DATA/single.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
director=$(sqlite3 "$DATA/humiao.db" "SELECT username FROM users WHERE role = 'child_director' ORDER BY username LIMIT 1")
for path in /m/plan /m/alerts /centre/visits; do
  user=$director
  [ $path = /centre/visits ] && user=centre
  token=$(python3 $here/login.py "http://127.0.0.1:$PORT" 1 "$user" 'Humiao@2026')
  python3 - "http://127.0.0.1:$PORT$path" "$token" <<'PY'
import sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
def get():
    req = urllib.request.Request(url, headers={"Cookie": "humiao_session=" + token})
    start = time.perf_counter()
    body = urllib.request.urlopen(req).read()
    return (time.perf_counter() - start) * 1000, len(body)
for _ in range(3):
    get()
times = sorted(get()[0] for _ in range(30))
print(f"{url.split('/', 3)[3]:>16}: median {times[15]:.1f} ms  min {times[0]:.1f}  max {times[-1]:.1f}  ({get()[1]} bytes)")
PY
done
