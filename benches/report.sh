#!/usr/bin/env bash
# End-to-end benchmark of `linelens report` on a generated ~1.3 GB directory
# (two thirds JSON lines with bodies, the rest text, some gzip), beside the
# floor: the time `cat`/`zcat` piped into `grep -c 429` takes over the same
# files, measured in the same run. Prints wall time and peak memory.
#
#   bash benches/report.sh [DIR] [SIZE]     default: target/bench-data/1.3GB, 1.3GB
set -euo pipefail
cd "$(dirname "$0")/.."
size=${2:-1.3GB}
dir=${1:-target/bench-data/$size}
runs=${RUNS:-3}

cargo build --release --quiet --bin linelens --example gen-logs
if [[ ! -d $dir ]]; then
  echo "generating $size of logs in $dir ..."
  target/release/examples/gen-logs --out "$dir" --size "$size"
fi

files=$(find "$dir" -type f | sort)
bytes=$(for f in $files; do case $f in *.gz) gzip -dc "$f" | wc -c ;; *) wc -c < "$f" ;; esac; done | awk '{s+=$1} END {print s}')
echo "data: $dir, $(echo "$files" | wc -l) files, $((bytes / 1000000)) MB uncompressed"
cat $files > /dev/null # warm the page cache, as for every run below

now() { date +%s.%N; }
best() { sort -n | head -1; }

floor=$(for _ in $(seq "$runs"); do
  t0=$(now)
  for f in $files; do case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac; done | grep -c 429 > /dev/null
  t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", b - a}'
done | best)

report=""
rss=""
for _ in $(seq "$runs"); do
  t0=$(now)
  hwm=$(LINELENS_MEMORY=1 target/release/linelens report "$dir" 2>&1 >/dev/null | awk '/VmHWM/ {v = $NF == "kB" ? $(NF - 1) : $NF} END {print v}')
  t1=$(now)
  report="$report$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')"$'\n'
  rss="$rss$hwm"$'\n'
done
report=$(echo -n "$report" | best)
rss_mb=$(echo -n "$rss" | sort -n | tail -1 | awk '{printf "%.0f", $1 / 1024}')
ratio=$(awk -v r="$report" -v f="$floor" 'BEGIN {printf "%.2f", r / f}')

printf '%-34s %8s\n' "floor (cat/zcat | grep -c 429)" "${floor}s"
printf '%-34s %8s  (%sx the floor)\n' "linelens report" "${report}s" "$ratio"
printf '%-34s %8s\n' "linelens report peak RSS" "${rss_mb} MB"
echo "(best of $runs runs; cores: $(nproc))"
