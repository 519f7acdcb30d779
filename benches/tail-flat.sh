#!/usr/bin/env bash
# `linelens tail` following a file that grows by 5 million lines: its
# memory after 100 thousand lines and after 5 million (they must stay
# within 10 MB of each other: following for hours costs no memory).
#   bash benches/tail-flat.sh [MILLIONS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
millions=${1:-5}
cargo build --release --quiet
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
log=$dir/api.jsonl
: > "$log"
target/release/linelens tail "$dir" > /dev/null &
pid=$!
sleep 1
append() { # first count
  awk -v s="$1" -v n="$2" 'BEGIN { for (i = s; i < s + n; i++)
    printf "{\"time\":\"2026-11-20T08:%02d:%02d.%03dZ\",\"kind\":\"api\",\"method\":\"POST\",\"endpoint\":\"/v2/bot/message/push\",\"status\":200,\"request_id\":\"r%09d\",\"request_body\":{\"to\":\"U%032d\"}}\n", (i / 60000) % 60, (i / 1000) % 60, i % 1000, i, i % 5000 }' >> "$log"
}
# Wait until tail has read the whole file.
caught_up() {
  local size
  size=$(stat -c %s "$log")
  while [ "$(awk '/^rchar/ {print $2}' "/proc/$pid/io")" -lt "$size" ]; do sleep 0.2; done
  sleep 0.5
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
append 0 100000
caught_up
r1=$(rss)
echo "after 100,000 lines: RSS $((r1 / 1024)) MB"
total=100000
while [ "$total" -lt "$((millions * 1000000))" ]; do
  append "$total" 100000
  total=$((total + 100000))
  if [ $((total % 1000000)) -eq 0 ]; then caught_up; echo "after $total lines: RSS $(( $(rss) / 1024 )) MB"; fi
done
caught_up
r2=$(rss)
echo "after $total lines: RSS $((r2 / 1024)) MB (peak $(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status") MB); growth $(( (r2 - r1) / 1024 )) MB"
