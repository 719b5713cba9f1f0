#!/bin/sh
# `jaeger eval` and `jaeger curate` on the hand-made fixture (numbers worked
# out in test-eval.c): table, JSON, per-sample CSV, the results store, a
# curated manifest that `jaeger info` loads, and clear errors for bad input.
set -u
jaeger=${JAEGER_CLI:?}
fx=${G_TEST_SRCDIR:?}/eval/fixtures
man=$fx/hand-manifest.json
pred=$fx/hand-predictions.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
check() { # description, then a command that must succeed
  n=$((n + 1)); desc=$1; shift
  if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/out"; fail=1; fi
}

check "table shows DoA mean 1.00 and grounding IoU 0.333" sh -c "$jaeger eval -m $man -p $pred 2>/dev/null | grep -q '^spatial_doa .* angular error (deg) *1.00 *1.00' && $jaeger eval -m $man -p $pred 2>/dev/null | grep -q '^visual_grounding .* 3D IoU *0.333 *0.167'"
check "warns about the unmatched and the repeated prediction" sh -c "$jaeger eval -m $man -p $pred 2>&1 >/dev/null | grep -q '1 predictions match no manifest entry' && $jaeger eval -m $man -p $pred 2>&1 >/dev/null | grep -q '1 repeated predictions'"
check "--json carries the numbers" sh -c "$jaeger eval -m $man -p $pred --json --bootstrap 100 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d[\"tasks\"]
assert abs(t[\"visual_grounding\"][\"iou\"][\"median\"] - 1/6) < 1e-9
assert t[\"visual_grounding\"][\"unparsed\"] == 1
assert t[\"dual_source\"][\"accuracy\"][\"mean\"] == 0.5
assert t[\"dual_source\"][\"by_gender\"][\"male\"][\"count\"] == 2
assert t[\"spatial_doa\"][\"missing\"] == 1 and t[\"spatial_doa\"][\"unparsed\"] == 1
assert d[\"unmatched_predictions\"] == 1 and d[\"bootstrap\"][\"resamples\"] == 100
lo, hi = t[\"spatial_doa\"][\"angular_error_deg\"][\"mean_ci\"]
assert 0 <= lo <= 1 <= hi <= 2
assert d[\"model\"] == \"hand\" and d[\"format\"] == \"jaeger-json\"
'"
check "the same seed gives the same JSON" sh -c "a=\$($jaeger eval -m $man -p $pred --json --seed 5 2>/dev/null); b=\$($jaeger eval -m $man -p $pred --json --seed 5 2>/dev/null); test \"\$a\" = \"\$b\""
check "--per-sample writes 13 CSV rows" sh -c "$jaeger eval -m $man -p $pred --per-sample $tmp/ps.csv >/dev/null 2>&1 && python3 -c '
import csv
rows = list(csv.DictReader(open(\"$tmp/ps.csv\")))
assert len(rows) == 13, len(rows)
assert rows[0][\"error\"] == \"2\" and rows[3][\"predicted\"] == \"0\" and rows[7][\"parsed\"] == \"0\"
'"
check "--store saves the run" sh -c "$jaeger eval -m $man -p $pred --store $tmp/r.db --run-name A >/dev/null 2>&1 && $jaeger curate --store $tmp/r.db --list | grep -q 'run 1: A, .*, 12 predictions'"
check "a second run shares the dataset" sh -c "$jaeger eval -m $man -p $pred --store $tmp/r.db --run-name B >/dev/null 2>&1 && $jaeger curate --store $tmp/r.db --list | grep -c '^dataset' | grep -qx 1 && $jaeger curate --store $tmp/r.db --list | grep -q 'run 2: B'"
check "reject a sample, export a curated manifest of 12 that jaeger info loads" sh -c "$jaeger curate --store $tmp/r.db --sample 3 --tag reject && $jaeger curate --store $tmp/r.db --export-manifest $tmp/cur.json && python3 -c 'import json; a = json.load(open(\"$tmp/cur.json\"))[\"annotation\"]; assert len(a) == 12 and all(e[\"path\"] != \"/path/to/hm3d/test/00800-X/task1_00002\" or e[\"task\"] != \"spatial_doa\" for e in a)' && $jaeger info $tmp/cur.json"
check "undo brings it back" sh -c "$jaeger curate --store $tmp/r.db --undo | grep -q 'sample 3' && $jaeger curate --store $tmp/r.db --export-manifest $tmp/cur.json && python3 -c 'import json; assert len(json.load(open(\"$tmp/cur.json\"))[\"annotation\"]) == 13' && $jaeger curate --store $tmp/r.db --undo | grep -q 'nothing to undo'"
check "report of runs A and B with a note" sh -c "$jaeger curate --store $tmp/r.db --sample 1 --note 'speaker, half hidden' && $jaeger curate --store $tmp/r.db --report $tmp/rep.csv --run 1 --run-b 2 && python3 -c '
import csv
rows = list(csv.DictReader(open(\"$tmp/rep.csv\")))
assert len(rows) == 13 and rows[0][\"note\"] == \"speaker, half hidden\" and rows[0][\"error_b\"] == \"2\"
assert rows[0][\"sample_id\"] == \"1\" and rows[12][\"sample_id\"] == \"13\"
'"
check "reference av_results format reads" sh -c "printf '%s' '[{\"path\": \"/path/to/hm3d/test/00800-X/task2_00000\", \"task\": \"dual_source\", \"gender\": \"female\", \"category\": \"\", \"gt_text\": \"Left\", \"pred_text\": \"Right\"}]' > $tmp/av_results_rank_0.json && $jaeger eval -m $man -p $tmp/av_results_rank_0.json --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"tasks\"][\"dual_source\"][\"accuracy\"][\"mean\"] == 0 and d[\"format\"] == \"reference-av\"'"
check "missing --manifest is a usage error" sh -c "$jaeger eval -p $pred 2>/dev/null; test \$? -eq 2"
check "a missing prediction file names it (exit 1)" sh -c "out=\$($jaeger eval -m $man -p $tmp/nope.json 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q 'nope.json'"
check "a broken prediction file says where (exit 1)" sh -c "printf '[{\"path\": \"/a\",\n \"task\": ]' > $tmp/bad.json; out=\$($jaeger eval -m $man -p $tmp/bad.json 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q 'bad.json:2:'"
check "predictions for other samples are an error (exit 1)" sh -c "printf '[{\"path\": \"/x/y\", \"task\": \"spatial_doa\", \"pred_text\": \"azimuth: 1; elevation: 1\"}]' > $tmp/other.json; out=\$($jaeger eval -m $man -p $tmp/other.json 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q 'no prediction matches'"
check "a file that is not a store is refused (exit 1)" sh -c "out=\$($jaeger curate --store $man --list 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q 'not a Jaeger results store'"
echo "1..$n"
exit $fail
