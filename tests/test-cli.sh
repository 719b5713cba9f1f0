#!/bin/sh
# The `jaeger` command line: help, bad use and the device list on lavapipe.
set -u
jaeger=${JAEGER_CLI:?}
fail=0
n=0
check() { # description, then a command that must succeed
  n=$((n + 1)); desc=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fail=1; fi
}

check "help lists the commands" sh -c "$jaeger --help | grep -q '^  devices'"
check "no command is a usage error (exit 2)" sh -c "$jaeger; test \$? -eq 2"
check "unknown command exits 2 with one line" sh -c "out=\$($jaeger frobnicate 2>&1); test \$? -eq 2 && test \$(printf '%s\n' \"\$out\" | wc -l) -eq 1"
check "version prints the version" sh -c "$jaeger version | grep -q '^jaeger [0-9]'"
check "version --help works" sh -c "$jaeger version --help | grep -q Usage"
check "bad option exits 2 with one line" sh -c "out=\$($jaeger devices --bogus 2>&1); test \$? -eq 2 && test \$(printf '%s\n' \"\$out\" | wc -l) -eq 1"
check "stray argument exits 2" sh -c "$jaeger version extra; test \$? -eq 2"
check "devices lists a CPU (lavapipe) device" sh -c "$jaeger devices | grep -qi 'llvmpipe'"
check "devices reports the subgroup size" sh -c "$jaeger devices | grep -q 'subgroup size: [0-9]'"
check "devices --json is valid JSON with heaps" sh -c "$jaeger devices --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d and d[0][\"heaps\"][0][\"bytes\"] > 0'"
check "JAEGER_DEVICE out of range is a clear error" sh -c "out=\$(JAEGER_DEVICE=99 $jaeger devices 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q 'device 99 does not exist'"
echo "1..$n"
exit $fail
