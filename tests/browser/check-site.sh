#!/usr/bin/env bash
# Loads the generated site in headless Chromium and checks what a reader
# would see: the index headings, a rule page's sections, and the filter box
# narrowing the list. Installs Debian's chromium when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "check-site: installing chromium"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi

site=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$site" "$profile"' EXIT
cargo run -q -- site --out "$site"

dump() {
  "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=3000 --dump-dom "$1" 2>/dev/null
}

fail() { echo "check-site: FAIL: $*" >&2; exit 1; }

index=$(dump "file://$site/index.html")
grep -q '<h1>Why did my build fail?</h1>' <<<"$index" || fail "index heading missing"
grep -q '<h2 id="python">python</h2>' <<<"$index" || fail "python group heading missing"
grep -q 'rules/python/externally-managed-environment/index.html' <<<"$index" || fail "flagship rule not listed"
total=$(grep -o '<li data-search=' <<<"$index" | wc -l)
[ "$total" -gt 50 ] || fail "only $total rules listed"
grep -q '<li data-search="[^"]*" hidden' <<<"$index" && fail "rules hidden before any filter"

filtered=$(dump "file://$site/index.html?q=pnpm")
hidden=$(grep -o '<li data-search="[^"]*" hidden' <<<"$filtered" | wc -l)
visible=$((total - hidden))
[ "$hidden" -gt 0 ] || fail "the filter hid nothing"
[ "$visible" -ge 1 ] && [ "$visible" -lt 10 ] || fail "the filter left $visible rules visible"
grep -q 'data-search="node/pnpm-outdated-lockfile[^"]*">' <<<"$filtered" || fail "pnpm rule hidden by its own filter"

page=$(dump "file://$site/rules/python/externally-managed-environment/index.html")
for heading in 'What the log says' 'Why it happens' 'How to fix it' '<h3>Nixpacks</h3>' '<h3>Railpack</h3>' '<h3>Dockerfile</h3>' 'Links' 'Patterns'; do
  grep -q "$heading" <<<"$page" || fail "rule page lacks $heading"
done
grep -q 'error: externally-managed-environment' <<<"$page" || fail "rule page lacks its example line"
echo "check-site: index ($total rules), filter ($visible shown for 'pnpm') and rule page render in $("$browser" --version)"
