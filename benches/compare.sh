#!/usr/bin/env bash
# Times buildmedic against the floor any scan of the log costs, side by
# side in one run, on generated logs: `rg -c -F -f literals` (the literals
# buildmedic's line gate searches for, from `rules list --literals`) and
# `cat`; `rg -f` with the catalogue's own regexes is kept for the record
# (it is slow on hundreds of complex regexes, so it has a timeout). Runs
# alternate, one of each tool in turn; the table gives each median wall
# time, buildmedic's ratio to the literal scan and to cat, and peak memory
# (max RSS) of buildmedic on a file and through a pipe.
#
#   bash benches/compare.sh            # 1 MB, 100 MB, dense 100 MB, empty
#   BENCH_1G=1 bash benches/compare.sh # also 1 GB and dense 1 GB
#   RUNS=7 bash benches/compare.sh     # more runs per measurement
#
# Installs ripgrep and GNU time through apt when they are missing. These
# are measurements to read, not tests: nothing here fails on a slow run.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
if ! need rg || ! need /usr/bin/time; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq ripgrep time >/dev/null
fi

runs=${RUNS:-5}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
cargo build --release -q
cargo build --release -q --example genlog
bin=target/release/buildmedic
gen=target/release/examples/genlog

# ripgrep gets the same regexes; it has no named groups across patterns,
# so those become plain groups (same matches).
$bin rules list --patterns | sed -E 's/\(\?P?<[a-z_0-9]+>/(?:/g' > "$work/patterns.txt"
$bin rules list --literals > "$work/literals.txt"

[ -s "$work/1m.log" ] || $gen --size 1M > "$work/1m.log" 2>/dev/null
[ -s "$work/100m.log" ] || $gen --size 100M > "$work/100m.log" 2>/dev/null
[ -s "$work/dense-100m.log" ] || $gen --size 100M --dense > "$work/dense-100m.log" 2>/dev/null
: > "$work/empty.log"
cases="1m 100m dense-100m empty"
if [ "${BENCH_1G:-0}" = 1 ]; then
  [ -s "$work/1g.log" ] || $gen --size 1G > "$work/1g.log" 2>/dev/null
  [ -s "$work/dense-1g.log" ] || $gen --size 1G --dense > "$work/dense-1g.log" 2>/dev/null
  cases="$cases 1g dense-1g"
fi

# One timed run: prints "seconds max_rss_kib". A run cut by the timeout
# prints the timeout, marked with ">".
rg_timeout=${RG_TIMEOUT:-60}
measure() {
  if /usr/bin/time -f "%e %M" -o "$work/time.out" timeout "$rg_timeout" "$@" >/dev/null 2>&1; then :; fi
  if grep -q "Command terminated by signal\|status 124" "$work/time.out"; then
    echo ">$rg_timeout $(tail -1 "$work/time.out" | awk '{print $2}')"
  else
    tail -1 "$work/time.out"
  fi
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Medians of: buildmedic on the file, buildmedic through a pipe, the
# literal scan, cat, and rg -f (skipped once it passes its timeout).
printf '%-11s %9s %9s %9s %8s %9s %7s %7s %10s %10s\n' \
  input bm-file bm-pipe "rg -F" cat "rg -f" "/rg -F" "/cat" "RSS file" "RSS pipe"
for c in $cases; do
  log="$work/$c.log"
  for k in bf bp lf cat rg bfm bpm; do : > "$work/$k"; done
  rg_skip=0
  for _ in $(seq "$runs"); do
    read -r t m < <(measure $bin --format json "$log"); echo "$t" >> "$work/bf"; echo "$m" >> "$work/bfm"
    read -r t m < <(measure bash -c "cat '$log' | $bin --format json"); echo "$t" >> "$work/bp"
    read -r t m < <(measure rg -c -F -f "$work/literals.txt" "$log"); echo "$t" >> "$work/lf"
    read -r t m < <(measure cat "$log"); echo "$t" >> "$work/cat"
    if [ "$rg_skip" = 0 ]; then
      read -r t m < <(measure rg -c -f "$work/patterns.txt" "$log"); echo "$t" >> "$work/rg"
      # rg past its timeout once will be past it every time: do not wait again.
      if grep -q '>' "$work/rg"; then rg_skip=1; fi
    fi
  done
  # The pipe's RSS is buildmedic's own (bash and cat are small and apart).
  /usr/bin/time -f "%M" -o "$work/pipe.out" bash -c "cat '$log' | $bin --format json >/dev/null" || true
  bf=$(median < "$work/bf"); bp=$(median < "$work/bp"); lf=$(median < "$work/lf"); ct=$(median < "$work/cat")
  if grep -q '>' "$work/rg"; then rg=">$rg_timeout"; else rg=$(median < "$work/rg"); fi
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
  printf '%-11s %8ss %8ss %8ss %7ss %8ss %7s %7s %6s KiB %6s KiB\n' "$c" "$bf" "$bp" "$lf" "$ct" "$rg" \
    "$(ratio "$bf" "$lf")" "$(ratio "$bf" "$ct")" "$(sort -n "$work/bfm" | tail -1)" "$(tail -1 "$work/pipe.out")"
done
