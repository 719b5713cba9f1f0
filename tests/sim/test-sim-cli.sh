#!/bin/sh
# `jaeger sim` on the command line: a run, its files, and bad use.
set -u
jaeger=${JAEGER_CLI:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
check() { # description, then a command that must succeed
  n=$((n + 1)); desc=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fail=1; fi
}

check "help lists sim" sh -c "$jaeger --help | grep -q '^  sim'"
check "sim --help shows the knobs" sh -c "$jaeger sim --help | grep -q -- '--rt60' && $jaeger sim --help | grep -q -- '--speakers-max'"
check "a small run succeeds" $jaeger sim --out "$tmp/a" --scenes 1 --seed 3 --task1 1 --task2 1 --rt60 0 --no-audio --quiet
check "it writes the five manifests" sh -c "test \$(ls $tmp/a/*_test.json | wc -l) -eq 5"
check "task1 sample files" sh -c "d=\$(ls -d $tmp/a/test/*/task1_00000) && test -s \$d/rgb.png && test -s \$d/depth.png && test -s \$d/ir.npy && test -s \$d/metadata.json && test ! -e \$d/foa_ls.wav"
check "task2 sample files" sh -c "d=\$(ls -d $tmp/a/test/*/task2_00000) && test -s \$d/ir_male.npy && test -s \$d/ir_female.npy"
check "jaeger info reads the grounding manifest without problems" sh -c "$jaeger info --root $tmp/a $tmp/a/visual_grounding_hm3d_av_v2_speaker_only_test.json | grep -q '0 skipped'"
check "the release's workflow: sim --no-audio, then prepare-audio makes foa_ls.wav" sh -c "
  mkdir -p $tmp/speech/male $tmp/speech/female &&
  python3 -c 'import math, struct, sys, wave
for g, f in ((\"male\", 120), (\"female\", 220)):
    w = wave.open(sys.argv[1] + \"/\" + g + \"/a.wav\", \"wb\"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(b\"\".join(struct.pack(\"<h\", int(8000 * math.sin(2 * math.pi * f * i / 16000))) for i in range(8000))); w.close()
' $tmp/speech &&
  $jaeger prepare-audio --manifest $tmp/a/hm3d_av_v2_ls_task1_test.json --root $tmp/a --speech $tmp/speech &&
  $jaeger prepare-audio --manifest $tmp/a/hm3d_av_v2_ls_task2_test.json --root $tmp/a --speech $tmp/speech &&
  test \$(ls $tmp/a/test/*/*/foa_ls.wav | wc -l) -eq 2 &&
  grep -q '\"speakers\"' $tmp/a/test/*/task2_00000/metadata.json"
check "--split names the folder and the manifests" sh -c "$jaeger sim --out $tmp/b --split val --task1 1 --task2 0 --no-audio --quiet && test -d $tmp/b/val && test -f $tmp/b/hm3d_av_v2_ls_task1_val.json"
check "--speakers-max 8: up to 8 boxes; Left/Center/Right tasks only with 2-3" sh -c "$jaeger sim --out $tmp/m --seed 2 --speakers-max 8 --task1 3 --task2 2 --no-audio --quiet && python3 -c '
import json, sys
d = sys.argv[1]
vg = [len(e[\"obj_category\"]) for e in json.load(open(d + \"/visual_grounding_hm3d_av_v2_speaker_only_test.json\"))[\"annotation\"]]
assert max(vg) > 3 and max(vg) <= 8, vg
for f in (\"hm3d_av_v2_task1_test.json\", \"hm3d_av_v2_task2_test.json\"):
    assert all(2 <= e[\"num_speakers\"] <= 3 for e in json.load(open(d + \"/\" + f))[\"annotation\"])
' $tmp/m"
check "--speakers-max 9 is a usage error (exit 2)" sh -c "$jaeger sim --out $tmp/c --speakers-max 9 2>/dev/null; test \$? -eq 2"
check "unknown room kind exits 2 naming it" sh -c "out=\$($jaeger sim --out $tmp/c --room-kinds dome 2>&1); test \$? -eq 2 && echo \"\$out\" | grep -q dome"
check "unknown convention exits 2" sh -c "$jaeger sim --out $tmp/c --convention quad 2>/dev/null; test \$? -eq 2"
check "negative --rt60 exits 2" sh -c "$jaeger sim --out $tmp/c --rt60 -1 2>/dev/null; test \$? -eq 2"
check "missing --out exits 2 with one line" sh -c "out=\$($jaeger sim 2>&1); test \$? -eq 2 && test \$(printf '%s\n' \"\$out\" | wc -l) -eq 1"
check "a missing --speech folder fails (exit 1) naming it" sh -c "out=\$($jaeger sim --out $tmp/d --speech $tmp/nospeech --quiet 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q nospeech"
check "a broken recording in --speech fails (exit 1) naming the file" sh -c "
  mkdir -p $tmp/bad/male $tmp/bad/female && echo hello > $tmp/bad/male/broken.wav && echo hello > $tmp/bad/female/broken2.wav &&
  out=\$($jaeger sim --out $tmp/e --speech $tmp/bad --task1 1 --task2 0 --quiet 2>&1); test \$? -eq 1 && echo \"\$out\" | grep -q 'broken2*.wav'"
echo "1..$n"
exit $fail
