#!/usr/bin/env bash
# Memory per distinct user: `report` on N pushes (default 2,000,000), each
# to a different user, beside the same number of pushes to one user. The
# difference in peak RSS over N is what each distinct user costs (the
# interned ID and the per-user flood state).
#
#   bash benches/users.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000000}
cargo build --release --quiet --bin linelens
dir=target/bench-data/users-$n
gen() { # file distinct(0|1)
  [[ -f $1 ]] && return
  mkdir -p "$(dirname "$1")"
  awk -v n="$n" -v distinct="$2" 'BEGIN {
    for (i = 0; i < n; i++) {
      ms = i * 10
      printf "{\"kind\":\"api\",\"time\":\"2026-11-20T%02d:%02d:%02d.%03dZ\",\"request_id\":\"r%d\",\"method\":\"POST\",\"endpoint\":\"https://api.line.me/v2/bot/message/push\",\"status\":200,\"request_body\":{\"to\":\"U%032x\",\"messages\":[]}}\n",
        8 + int(ms / 3600000), int(ms / 60000) % 60, int(ms / 1000) % 60, ms % 1000, i, distinct ? i : 7
    }
  }' > "$1"
}
gen "$dir/distinct/push.jsonl" 1
gen "$dir/one/push.jsonl" 0
peak() { LINELENS_MEMORY=1 target/release/linelens report "$1" 2>&1 >/dev/null | awk '/at exit VmHWM/ {print $(NF - 1)}'; }
one=$(peak "$dir/one")
distinct=$(peak "$dir/distinct")
awk -v n="$n" -v a="$one" -v b="$distinct" 'BEGIN {
  printf "%d pushes to one user: peak %.0f MB; each to a different user: peak %.0f MB\n", n, a / 1024, b / 1024
  printf "bytes per distinct user: %.0f\n", (b - a) * 1024 / n }'
