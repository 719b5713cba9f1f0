#!/usr/bin/env bash
# Fuzz one parser for a bounded time with libFuzzer + AddressSanitizer.
#   tools/fuzz/run-fuzz.sh TARGET SECONDS      TARGET: npy, manifest, answer, png or wav
# Needs Debian's clang. Seeds come from tests/fuzz/corpus/TARGET; inputs
# that grow coverage go to build-fuzz/corpus-TARGET (scratch); a crashing
# input is written to tests/fuzz/corpus/TARGET/crash-* so that, once
# committed, the `fuzz-replay-TARGET` meson test replays it forever.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:-}
seconds=${2:-}
case "$target" in
  npy|manifest|answer|png|wav) ;;
  *) echo "usage: $0 {npy|manifest|answer|png|wav} SECONDS" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 $target SECONDS" >&2; exit 2; }
command -v clang >/dev/null || { echo "clang is not installed (sudo apt-get install -y clang)" >&2; exit 1; }

out=build-fuzz
mkdir -p "$out/corpus-$target"
exe="$out/fuzz-$target"
# The parsers and their few dependencies, nothing that needs Vulkan or GTK.
sources=(
  tests/fuzz/fuzz-"$target".c
  app/core/jg-error.c app/core/jg-file-util.c
  app/data/jg-answer.c app/data/jg-audio-clip.c app/data/jg-manifest.c app/data/jg-npy.c
  app/data/jg-png.c app/data/jg-read.c
)
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I. -Iapp $(pkg-config --cflags glib-2.0 json-glib-1.0 libpng sndfile) \
  "${sources[@]}" -o "$exe" $(pkg-config --libs glib-2.0 json-glib-1.0 libpng sndfile) -lm

echo "fuzzing $target for $seconds s"
"$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="tests/fuzz/corpus/$target/crash-" \
  "$out/corpus-$target" "tests/fuzz/corpus/$target"
