#!/usr/bin/env bash
# End-to-end benchmark of `linelens report` on generated directories, beside
# the floor: the time `cat`/`zcat` piped into `grep -c 429` takes over the
# same files, measured in the same run. Prints wall time, peak memory and
# bytes per record (best of RUNS runs, default 3).
#
#   bash benches/report.sh [DIR] [SIZE]   one hour of a busy bot, ~1.3 GB
#                                         (default target/bench-data/1.3GB)
#   bash benches/report.sh --hours        two sets with an incident every
#       hour: 33 hours (127 MB) and 330 hours (1.27 GB), and the ratio of
#       their costs per record (330 h over 33 h: 1.00 is perfectly linear)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
cargo build --release --quiet --bin linelens --example gen-logs

now() { date +%s.%N; }
best() { sort -n | head -1; }

# measure DIR: prints "floor report rss_kb records"
measure() {
  local dir=$1 files floor report="" rss="" t0 t1 hwm records
  files=$(find "$dir" -type f | sort)
  cat $files > /dev/null # warm the page cache, as for every run below
  floor=$(for _ in $(seq "$runs"); do
    t0=$(now)
    for f in $files; do case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac; done | grep -c 429 > /dev/null
    t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", b - a}'
  done | best)
  for _ in $(seq "$runs"); do
    t0=$(now)
    hwm=$(LINELENS_MEMORY=1 target/release/linelens report "$dir" 2>&1 >/dev/null | awk '/VmHWM/ {v = $NF == "kB" ? $(NF - 1) : $NF} END {print v}')
    t1=$(now)
    report="$report$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')"$'\n'
    rss="$rss$hwm"$'\n'
  done
  records=$(target/release/linelens report "$dir" 2>/dev/null | head -1 | sed -E 's/.* · ([0-9,]+) records · ([0-9,]+) unparsed.*/\1 \2/' | tr -d , | awk '{print $1 + $2}')
  echo "$floor $(echo -n "$report" | best) $(echo -n "$rss" | sort -n | tail -1) $records"
}

show() { # name floor report rss_kb records
  awk -v n="$1" -v f="$2" -v r="$3" -v k="$4" -v c="$5" 'BEGIN {
    printf "%-8s %9d records  floor %6.2fs  report %6.2fs (%.2fx the floor)  peak %5.0f MB (%.0f B/record)\n",
      n, c, f, r, r / f, k / 1024, k * 1024 / c }'
}

generate() { # dir size hours
  if [[ ! -d $1 ]]; then
    echo "generating $2 of logs ($3 h) in $1 ..."
    target/release/examples/gen-logs --out "$1" --size "$2" --hours "$3"
  fi
}

if [[ ${1:-} == --hours ]]; then
  generate target/bench-data/33h 127MB 33
  generate target/bench-data/330h 1.27GB 330
  read -r f1 r1 k1 c1 < <(measure target/bench-data/33h)
  read -r f2 r2 k2 c2 < <(measure target/bench-data/330h)
  show 33h "$f1" "$r1" "$k1" "$c1"
  show 330h "$f2" "$r2" "$k2" "$c2"
  awk -v r1="$r1" -v c1="$c1" -v r2="$r2" -v c2="$c2" \
    'BEGIN {printf "per-record cost, 330 h over 33 h: %.2f\n", (r2 / c2) / (r1 / c1)}'
else
  size=${2:-1.3GB}
  dir=${1:-target/bench-data/$size}
  generate "$dir" "$size" 1
  read -r f r k c < <(measure "$dir")
  show "$size" "$f" "$r" "$k" "$c"
fi
echo "(best of $runs runs; cores: $(nproc))"
