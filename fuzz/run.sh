#!/usr/bin/env bash
# Run fuzz targets one after the other: `fuzz/run.sh [SECONDS] [TARGET...]`
# (default: 600 s each, every target). Needs a nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=${*:-parse_line bodies times signature blocks engine follower}
bash fuzz/seed.sh
for t in $targets; do
  echo "== $t ($secs s)"
  cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 \
    | grep -E 'DONE|Done|ERROR|panicked|SUMMARY|stat::|artifact|Test unit written' || true
done
