#!/bin/sh
# bench/capacity.sh N DURATION [extra loadgen flags] — one capacity measurement (bench/capacity.md).
# Needs a running server: SERVER (default http://127.0.0.1:18080), TOKEN, its PID in SERVER_PID,
# and VIDEO (an IVF from `integritybot loadgen --make-ivf`). Prints load averages, the server's
# CPU per stream-second, RSS before/after, a CPU profile's top, and loadgen's totals.
# The server's config needs server.pprof: true (the profile; off by default) and, past 100 calls,
# server.create_burst >= N (interview creation is rate-limited per address).
set -eu
N=$1; DUR=$2; shift 2
IB=${IB:-/tmp/ib}; SERVER=${SERVER:-http://127.0.0.1:18080}; OUT=${OUT:-/tmp/capacity}
mkdir -p "$OUT"
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$SERVER_PID/stat; }
rss() { awk '/VmRSS/{print $2}' /proc/$SERVER_PID/status; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  rss_kb=$(rss)"
c0=$(cpu); t0=$(date +%s.%N)
secs=$(echo "$DUR" | tr -d s)
( sleep $((secs / 3 + 2)); curl -s -o "$OUT/cpu-$N.pprof" -H "Authorization: Bearer $TOKEN" "$SERVER/debug/pprof/profile?seconds=$((secs / 2))" ) &
( for k in $(seq 5 5 $((secs - 1))); do sleep 5; echo "t=${k}s rss=$(rss) kB threads=$(awk '/Threads/{print $2}' /proc/$SERVER_PID/status) load $(cut -d' ' -f1 /proc/loadavg)"; done ) &
/usr/bin/time -f "loadgen CPU: user %U s, system %S s, max RSS %M kB" -o "$OUT/time-$N.txt" "$IB" loadgen --server "$SERVER" --token "$TOKEN" --calls "$N" --duration "$DUR" --video "$VIDEO" --json "$@" > "$OUT/loadgen-$N.json"
wait
c1=$(cpu); t1=$(date +%s.%N)
python3 - "$OUT/loadgen-$N.json" "$c0" "$c1" "$tick" "$t0" "$t1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["totals"]
c0, c1, tick, t0, t1 = map(float, sys.argv[2:7])
cpu = (c1 - c0) / tick
print("server CPU %.1f s over %.1f s wall (%.0f%% of a core); %.1f stream-s of video => %.1f ms CPU per stream-second" % (
    cpu, t1 - t0, 100 * cpu / (t1 - t0), t["video_seconds"], 1000 * cpu / max(t["video_seconds"], 1e-9)))
print("totals:", json.dumps(t))
PY
cat "$OUT/time-$N.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
go tool pprof -top -nodecount=25 "$OUT/cpu-$N.pprof" 2>/dev/null | head -32 || true
