#!/usr/bin/env bash
# Seed each target's corpus from the repository's own data: the shipped
# sample logs (assets/) and the test inputs (tests/data/), cut into pieces
# of a few lines. Run from anywhere; writes fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
root=..
files=$(find "$root/assets" "$root/tests/data" -type f \( -name '*.log' -o -name '*.jsonl' -o -name '*.md' -o -name '*.txt' -o -name '*.gz' \) | sort)
for t in parse_line bodies times signature engine blocks follower; do
  mkdir -p "corpus/$t"
done
n=0
for f in $files; do
  case "$f" in
    *.gz)
      cp "$f" "corpus/blocks/$(basename "$f")"
      continue ;;
  esac
  # 40 pieces of 8 lines from each file, spread over it.
  total=$(wc -l < "$f")
  step=$(( total / 40 + 1 ))
  for ((s = 1; s <= total; s += step)); do
    n=$((n + 1))
    sed -n "${s},$((s + 7))p" "$f" > "corpus/parse_line/seed-$n"
    sed -n "${s},$((s + 7))p" "$f" > "corpus/engine/seed-$n"
    sed -n "${s},$((s + 7))p" "$f" > "corpus/blocks/seed-$n"
    # Bodies: the JSON object of a line, when it has one.
    sed -n "${s}p" "$f" | grep -o '{.*}' > "corpus/bodies/seed-$n" || rm -f "corpus/bodies/seed-$n"
    # Times: the first two fields of a line.
    sed -n "${s}p" "$f" | cut -d' ' -f1-2 > "corpus/times/seed-$n"
  done
done
# Signatures: a secret, a signature and a body (assets/channel-secret.txt is the demo secret).
printf '%s\n%s\n%s' "$(cat "$root/assets/channel-secret.txt")" "t1bMbwSwkWSTbvC+Hm3XIhXU96WFJD1Trv2WhWGlk1c=" '{"destination":"U1","events":[]}' > corpus/signature/seed-1
for fmt in gzip xz zstd bzip2; do
  command -v "$fmt" >/dev/null || continue
  head -c 2000 "$root/assets/sample-logs/bot-a/"*.log 2>/dev/null | "$fmt" -c > "corpus/blocks/sample.$fmt" || true
done
echo "seeded: $(find corpus -type f | wc -l) files"
