#!/usr/bin/env bash
# Times buildmedic against ripgrep running the catalogue's own regexes
# (`rg -f`), run by run in alternation, on generated logs; reports the
# median wall time of each, their ratio, and peak memory (max RSS).
#
#   bash benches/compare.sh            # 1 MB, 100 MB, dense 100 MB, empty
#   BENCH_1G=1 bash benches/compare.sh # also 1 GB (and 1 GB through a pipe)
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

[ -s "$work/1m.log" ] || $gen --size 1M > "$work/1m.log" 2>/dev/null
[ -s "$work/100m.log" ] || $gen --size 100M > "$work/100m.log" 2>/dev/null
[ -s "$work/dense-100m.log" ] || $gen --size 100M --dense > "$work/dense-100m.log" 2>/dev/null
: > "$work/empty.log"
cases="1m 100m dense-100m empty"
if [ "${BENCH_1G:-0}" = 1 ]; then
  [ -s "$work/1g.log" ] || $gen --size 1G > "$work/1g.log" 2>/dev/null
  cases="$cases 1g"
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

printf '%-12s %10s %10s %8s %12s %12s\n' input buildmedic "rg -f" ratio "bm max RSS" "rg max RSS"
for c in $cases; do
  rg_skip=0
  log="$work/$c.log"
  : > "$work/bm.t"; : > "$work/rg.t"; : > "$work/bm.m"; : > "$work/rg.m"
  for _ in $(seq "$runs"); do
    read -r t m < <(measure $bin --format json "$log"); echo "$t" >> "$work/bm.t"; echo "$m" >> "$work/bm.m"
    read -r t m < <(measure rg -c -f "$work/patterns.txt" "$log"); echo "$t" >> "$work/rg.t"; echo "$m" >> "$work/rg.m"
    # rg past its timeout once will be past it every time: do not wait again.
    if grep -q '>' "$work/rg.t"; then rg_skip=1; fi
    if [ "${rg_skip:-0}" = 1 ]; then
      for _ in $(seq $((runs - 1))); do
        read -r t m < <(measure $bin --format json "$log"); echo "$t" >> "$work/bm.t"; echo "$m" >> "$work/bm.m"
      done
      break
    fi
  done
  bm=$(median < "$work/bm.t")
  if grep -q '>' "$work/rg.t"; then
    rg=">$rg_timeout"; ratio=$(awk -v a="$bm" -v b="$rg_timeout" 'BEGIN { printf "<%.4f", a / b }')
  else
    rg=$(median < "$work/rg.t")
    ratio=$(awk -v a="$bm" -v b="$rg" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')
  fi
  bmm=$(sort -n "$work/bm.m" | tail -1); rgm=$(sort -n "$work/rg.m" | tail -1)
  printf '%-12s %9ss %9ss %8s %9s KiB %9s KiB\n' "$c" "$bm" "$rg" "$ratio" "$bmm" "$rgm"
done

# Memory through a pipe, for the largest input measured.
big=100m; [ "${BENCH_1G:-0}" = 1 ] && big=1g
/usr/bin/time -f "%M" -o "$work/pipe.out" bash -c "cat '$work/$big.log' | $bin --format json >/dev/null" || true
echo "pipe ($big): buildmedic max RSS $(tail -1 "$work/pipe.out") KiB"
