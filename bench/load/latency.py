"""Reads "received_at,processed_at" CSV rows (RFC 3339) and prints event → alert latency."""
import csv, sys
from datetime import datetime

def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))

rows = [(t(a), t(b)) for a, b in csv.reader(sys.stdin) if b]
lat = sorted((b - a).total_seconds() * 1000 for a, b in rows)
span = (max(b for _, b in rows) - min(a for a, _ in rows)).total_seconds()
pct = lambda p: lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))]
print(f"events {len(lat)} over {span:.1f} s ({len(lat) / span:.1f}/s); accepted → alert committed:"
      f" p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {lat[-1]:.1f} ms")
