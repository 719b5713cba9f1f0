#!/bin/sh
# The committed demo set is exactly what its recorded `jaeger sim` command makes.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$JAEGER_CLI" sim --out "$tmp" --scenes 1 --seed 1 --task1 3 --task2 2 --path-prefix= --quiet || {
  echo "not ok 1 - jaeger sim failed"; echo "1..1"; exit 1; }
if diff -r -x meson.build -x README.md "$tmp" "$DEMO_DIR" >"$tmp.diff" 2>&1; then
  echo "ok 1 - resources/demo is reproduced byte for byte"
else
  echo "not ok 1 - resources/demo differs from a fresh run:"; sed 's/^/# /' "$tmp.diff" | head -20
  rm -f "$tmp.diff"; echo "1..1"; exit 1
fi
rm -f "$tmp.diff"
echo "1..1"
