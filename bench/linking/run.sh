#!/usr/bin/env bash
# Record-linkage benchmark: Humiao and Splink (DuckDB) on the same synthetic county files.
#
#   bench/linking/run.sh [PERSONS...]        default: 10000 100000 1000000
#
# Environment: THREADS (default 2) for both systems; SEED (default 2026).
# Writes bench/linking/out/<persons>/ and bench/linking/out/results.md; prints the tables.
# See bench/linking/README.md.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
threads="${THREADS:-2}"
seed="${SEED:-2026}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)

die() { echo "run.sh: $*" >&2; exit 1; }

# The Splink peer's environment.
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import splink, duckdb, opencc, pypinyin' 2>/dev/null; then
  echo "== creating $venv" >&2
  python3 -m venv "$venv" || die "python3 -m venv failed"
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt" || die "pip install failed"
fi
py="$venv/bin/python"

echo "== building humiao-linkbench (release)" >&2
(cd "$root" && cargo build --release --quiet -p humiao-linkbench) || die "cargo build failed"
bench="$root/target/release/humiao-linkbench"
link_threads=()
if "$bench" link --help >/dev/null 2>&1; then
  humiao_linker=yes
  "$bench" link --help | grep -q -- '--threads' && link_threads=(--threads "$threads")
else
  humiao_linker=no
  echo "humiao linker not available" >&2
fi

# measure NAME CMD...: runs CMD under /usr/bin/time -v in the current size's directory;
# stdout → NAME.json, stderr → NAME.log, wall seconds and peak RSS (MB) → NAME.time.
measure() {
  local name="$1"; shift
  /usr/bin/time -v -o "$dir/$name.timev" "$@" > "$dir/$name.json" 2> "$dir/$name.log"
  local status=$?
  awk -v status="$status" '
    /Elapsed \(wall clock\) time/ {
      n = split($NF, t, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + t[i]
      wall = s
    }
    /Maximum resident set size/ { rss = $NF / 1024 }
    END { printf "%s %.2f %.0f\n", status, wall, rss }
  ' "$dir/$name.timev" > "$dir/$name.time"
  if [ "$status" -ne 0 ]; then
    echo "   $name failed (exit $status); see $dir/$name.log" >&2
  fi
  return 0
}

# score NAME TRUTH CLUSTERS → NAME.score.json (absent if the clusters are).
score() {
  rm -f "$dir/$1.score.json"
  [ -s "$3" ] && "$bench" score --json --truth "$2" --clusters "$3" > "$dir/$1.score.json"
  return 0
}

mkdir -p "$out"
results="$out/results.md"
{
  echo "# Record-linkage benchmark results"
  echo
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Threads per system: $threads; seed $seed; $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- Splink $("$py" -c 'import splink; print(splink.__version__)'), DuckDB $("$py" -c 'import duckdb; print(duckdb.__version__)'); Humiao $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?') (working tree)"
  echo "- Wall time and peak RSS from /usr/bin/time -v, whole process (reading, cleaning, training, linking, writing)."
  echo
} > "$results"

for n in "${sizes[@]}"; do
  dir="$out/$n"
  rm -rf "$dir" && mkdir -p "$dir"
  echo "== $n persons: generating" >&2
  "$bench" generate --persons "$n" --seed "$seed" --out "$dir" || die "generate failed"
  records=$(($(wc -l < "$dir/records.csv") - 1))
  batch_records=$(($(wc -l < "$dir/batch.csv") - 1))
  # Truth for the county plus the batch, for the incremental run.
  { cat "$dir/truth.csv"; tail -n +2 "$dir/batch_truth.csv"; } > "$dir/truth_with_batch.csv"

  if [ "$humiao_linker" = yes ]; then
    echo "== $n persons: Humiao" >&2
    measure humiao "$bench" link --input "$dir/records.csv" --output "$dir/humiao_clusters.csv" "${link_threads[@]}"
    score humiao "$dir/truth.csv" "$dir/humiao_clusters.csv"
    echo "== $n persons: Humiao, full file then the daily batch incrementally" >&2
    measure humiao_batch "$bench" link --input "$dir/records.csv" --batch "$dir/batch.csv" \
      --output "$dir/humiao_batch_clusters.csv" "${link_threads[@]}"
    score humiao_batch "$dir/truth_with_batch.csv" "$dir/humiao_batch_clusters.csv"
  else
    echo "humiao linker not available" >&2
  fi

  echo "== $n persons: Splink" >&2
  measure splink "$py" "$here/splink_link.py" --input "$dir/records.csv" \
    --output "$dir/splink_clusters.csv" --threads "$threads"
  score splink "$dir/truth.csv" "$dir/splink_clusters.csv"
  grep '^splink:' "$dir/splink.log" | sed 's/^/   /' >&2

  "$py" - "$dir" "$n" "$records" "$batch_records" "$humiao_linker" >> "$results" <<'PY'
import json, os, sys

d, n, records, batch_records, humiao_linker = sys.argv[1:]
n, records, batch_records = int(n), int(records), int(batch_records)


def load(name):
    t = os.path.join(d, f"{name}.time")
    if not os.path.exists(t):
        return None
    status, wall, rss = open(t).read().split()
    s = os.path.join(d, f"{name}.score.json")
    score = json.load(open(s)) if status == "0" and os.path.exists(s) else None
    return {"ok": status == "0", "wall": float(wall), "rss": float(rss), "score": score}


rows = [
    ("Humiao", "humiao", records),
    ("Humiao, + daily batch (incremental)", "humiao_batch", records + batch_records),
    ("Splink (DuckDB)", "splink", records),
]
runs = {key: load(key) for _, key, _ in rows}
h, s = runs["humiao"], runs["splink"]
ratio = f"{s['wall'] / h['wall']:.1f}×" if h and s and h["ok"] and s["ok"] and h["wall"] > 0 else "–"

print(f"## {n:,} persons\n")
if humiao_linker != "yes":
    print("Humiao: humiao linker not available.\n")
print("| system | records | wall s | peak RSS MB | pairwise P | pairwise R | pairwise F1 | B³ F1 |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for label, key, count in rows:
    r = runs[key]
    if r is None:
        continue
    if not r["ok"] or r["score"] is None:
        print(f"| {label} | {count:,} | {r['wall']:.1f} | {r['rss']:.0f} | failed | | | |")
        continue
    sc = r["score"]
    print(f"| {label} | {count:,} | {r['wall']:.1f} | {r['rss']:.0f} | "
          f"{sc['pairwise_precision']:.4f} | {sc['pairwise_recall']:.4f} | "
          f"{sc['pairwise_f1']:.4f} | {sc['bcubed_f1']:.4f} |")
print(f"\nSplink wall / Humiao wall: {ratio}. Load average after: "
      f"{' '.join(open('/proc/loadavg').read().split()[:3])}")
try:
    stages = json.load(open(os.path.join(d, "splink.json")))["stages"]
    print("\nSplink stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
except (OSError, ValueError, KeyError):
    pass
print()
PY
done

echo >&2
cat "$results"
