#!/usr/bin/env bash
# `linelens tail --from-start` on a small gzip archive holding 2 GB of lines:
# peak memory over the whole read, and how fast SIGTERM ends it mid-read.
#   bash benches/tail-archive.sh [GIGABYTES]   (default 2)
# Prints the archive size, the peak RSS (VmHWM) once every byte is read and
# printed, and the time from SIGTERM to exit while it is still reading.
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-2}
cargo build --release --quiet
bin=target/release/linelens
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
line='{"time":"2026-11-20T08:00:00Z","kind":"api","method":"POST","endpoint":"/v2/bot/message/push","status":200,"request_id":"rep"}'
set +o pipefail # `yes` ends on SIGPIPE
yes "$line" | head -c "$((gb * 1000000000))" | gzip -6 > "$dir/huge.log.gz"
set -o pipefail
size=$(stat -c %s "$dir/huge.log.gz")
echo "archive: $size bytes, $gb GB of lines"

# 1. Peak memory over the whole read: wait until the archive is read and
#    the output has stopped growing.
"$bin" tail --from-start "$dir" > /dev/null &
pid=$!
start=$(date +%s.%N)
last=-1
while :; do
  sleep 1
  w=$(awk '/^wchar/ {print $2}' "/proc/$pid/io")
  r=$(awk '/^rchar/ {print $2}' "/proc/$pid/io")
  if [ "$w" = "$last" ] && [ "$r" -ge "$size" ]; then break; fi
  last=$w
done
end=$(date +%s.%N)
echo "read and printed in $(echo "$end - $start - 1" | bc) s; peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")"
kill -TERM "$pid"; wait "$pid" || true

# 2. SIGTERM while it reads.
"$bin" tail --from-start "$dir" > /dev/null &
pid=$!
sleep 2
t0=$(date +%s%N)
kill -TERM "$pid"; wait "$pid" || true
echo "exit $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM (mid-read)"
