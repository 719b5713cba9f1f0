#!/usr/bin/env python3
"""`jaeger info` on sample folders and manifests written here with Python's
standard library alone (struct, zlib, wave): an independent writer of every
format the loaders read."""
import json, os, struct, subprocess, sys, tempfile, wave, zlib

jaeger = os.environ["JAEGER_CLI"]
manifests = os.environ["JAEGER_MANIFESTS"]
n = 0
failed = False


def check(desc, cond):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    failed |= not cond


def run(*args, cmd="info"):
    p = subprocess.run([jaeger, cmd, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def png(path, w, h, bitdepth, ctype, rows):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bitdepth, ctype, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


def wav(path, channels, rate, frames):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % (channels * frames), *[(i * 37) % 2000 - 1000 for i in range(channels * frames)]))


with tempfile.TemporaryDirectory() as tmp:
    sample = os.path.join(tmp, "test", "00800-TEEsavR23oF", "task1_00000")
    os.makedirs(sample)
    png(os.path.join(sample, "rgb.png"), 4, 2, 8, 2, [bytes(range(12)), bytes(range(100, 112))])
    depth_px = [0, 30, 60, 90, 120, 150, 180, 250]
    png(os.path.join(sample, "depth.png"), 4, 2, 8, 0, [bytes(depth_px[:4]), bytes(depth_px[4:])])
    npy(os.path.join(sample, "ir.npy"), (4, 300), [0.001 * i for i in range(1200)])
    wav(os.path.join(sample, "foa_ls.wav"), 4, 16000, 800)
    with open(os.path.join(sample, "metadata.json"), "w") as f:
        json.dump({"hfov": 90, "vfov": 58.72, "answers": {"spatial_doa": "azimuth: -7; elevation: -22"}}, f)

    rc, out, err = run(sample, "--json")
    d = json.loads(out) if rc == 0 else {}
    check("a full sample loads (exit 0)", rc == 0)
    check("rgb size", d.get("rgb") == [4, 2])
    check("depth range is px/255*10 over valid pixels",
          abs(d["depth"]["min_m"] - 30 / 255 * 10) < 1e-5 and abs(d["depth"]["max_m"] - 250 / 255 * 10) < 1e-5)
    check("depth valid fraction excludes the 0 pixel", abs(d["depth"]["valid_fraction"] - 7 / 8) < 1e-9)
    check("intrinsics fx = (w/2)/tan(45 deg)", abs(d["intrinsics"]["fx"] - 2.0) < 1e-9)
    check("ir.npy (4, 300)", d["irs"] == [{"name": "ir", "frames": 300}])
    check("foa_ls.wav 4 ch 16 kHz 800 frames", d["audio"] == {"channels": 4, "sample_rate": 16000, "frames": 800})
    check("ground truth from metadata", d["answers"] == {"spatial_doa": "azimuth: -7; elevation: -22"})
    check("nothing missing", d["missing"] == [])

    rc, out, err = run(sample)
    check("text output names the depth range", rc == 0 and "depth.png: 4x2, 1.18-9.80 m, 87.5% valid" in out)

    os.unlink(os.path.join(sample, "foa_ls.wav"))
    rc, out, err = run(sample, "--json")
    check("missing foa_ls.wav is listed, not an error", rc == 0 and json.loads(out)["missing"] == ["foa_ls.wav"])

    wav(os.path.join(sample, "foa_ls.wav"), 2, 16000, 100)
    rc, out, err = run(sample)
    check("stereo foa_ls.wav: exit 1 naming file and channel count",
          rc == 1 and "foa_ls.wav: 2 channels, expected 4" in err and err.count("\n") == 1)
    wav(os.path.join(sample, "foa_ls.wav"), 4, 44100, 100)
    rc, out, err = run(sample)
    check("44.1 kHz foa_ls.wav: exit 1 naming the rate", rc == 1 and "44100 Hz, expected 16000 Hz" in err)
    wav(os.path.join(sample, "foa_ls.wav"), 4, 16000, 100)
    with open(os.path.join(sample, "ir.npy"), "r+b") as f:
        f.truncate(200)
    rc, out, err = run(sample)
    check("truncated ir.npy: exit 1", rc == 1 and "ir.npy: truncated" in err)

    man = os.path.join(tmp, "m.json")
    with open(man, "w") as f:
        json.dump({"annotation": [
            {"path": "/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-TEEsavR23oF/task1_00000",
             "text": "Left", "task": "single_source", "num_speakers": 2},
            {"path": "/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-TEEsavR23oF/task1_00000",
             "text": "bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32)", "task": "visual_grounding",
             "obj_category": ["speaker"]},
            {"path": "/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-TEEsavR23oF/task1_00001",
             "text": "azimuth: 3; elevation: 1", "task": "spatial_doa", "gender": "F"},
            {"path": "/path/to/x", "text": "Left", "task": "quadruple_source"},
        ]}, f)
    rc, out, err = run(man, "--root", tmp, "--json")
    d = json.loads(out)
    check("manifest with a bad entry exits 1 but still summarises", rc == 1 and d["entries"] == 3)
    check("counts per task", d["tasks"] == {"spatial_doa": 1, "visual_grounding": 1, "single_source": 1})
    check("the bad entry is named", len(d["problems"]) == 1 and "unknown task 'quadruple_source'" in d["problems"][0])
    check("missing files after root remapping",
          d["missing"] == {"sample directory": 1} and d["samples"] == 2)

    rc, out, err = run(os.path.join(manifests, "hm3d_av_v2_ls_task1_test.json"), "--json")
    d = json.loads(out)
    check("real manifest: 1000 spatial_doa, no problems", rc == 0 and d["tasks"] == {"spatial_doa": 1000}
          and d["problems"] == [])
    with open(os.path.join(tmp, "broken.json"), "w") as f:
        f.write('{"annotation": [')
    rc, out, err = run(os.path.join(tmp, "broken.json"))
    check("malformed JSON: exit 1, file named", rc == 1 and "broken.json: not valid JSON" in err)
    rc, out, err = run()
    check("no PATH: usage error", rc == 2)

    # prepare-audio: one task1 sample, speech sorted into a male/ folder.
    prep = os.path.join(tmp, "prep", "test", "00800-X", "task1_00000")
    os.makedirs(prep)
    npy(os.path.join(prep, "ir.npy"), (20, 4), [1.0 if i == 4 * 3 else 0.0 for i in range(80)])
    speech = os.path.join(tmp, "speech", "male")
    os.makedirs(speech)
    wav(os.path.join(speech, "a.wav"), 1, 16000, 500)
    pman = os.path.join(tmp, "prep.json")
    with open(pman, "w") as f:
        json.dump({"annotation": [{"path": "/path/to/x/test/00800-X/task1_00000",
                                   "text": "azimuth: 3; elevation: 1", "task": "spatial_doa", "gender": "M"}]}, f)
    args = ["--manifest", pman, "--root", os.path.join(tmp, "prep"), "--speech", os.path.join(tmp, "speech"), "--jobs", "1"]
    rc, out, err = run(*args, cmd="prepare-audio")
    check("prepare-audio makes the sample", rc == 0 and "1 samples: 1 made, 0 already done, 0 failed" in out)
    with wave.open(os.path.join(prep, "foa_ls.wav")) as w:
        frames = w.readframes(w.getnframes())
        check("foa_ls.wav: 4 channels, 16 kHz, 500 + 20 - 1 frames",
              (w.getnchannels(), w.getframerate(), w.getnframes()) == (4, 16000, 519))
    # The IR is a unit impulse at frame 3 on channel 0 (W): W is the speech delayed by 3.
    pcm = struct.unpack("<%dh" % (len(frames) // 2), frames)
    src = [(i * 37) % 2000 - 1000 for i in range(500)]
    check("W channel = speech delayed by 3 frames (within 1 LSB)",
          all(abs(pcm[4 * (i + 3)] - src[i]) <= 1 for i in range(500)) and all(pcm[4 * i + 1] == 0 for i in range(519)))
    with open(os.path.join(prep, "metadata.json")) as f:
        meta = json.load(f)
    check("metadata.json records the speech file",
          meta["audio_source_info"]["source_path"] == os.path.join(speech, "a.wav"))
    rc, out, err = run(*args, cmd="prepare-audio")
    check("a rerun skips the finished sample", rc == 0 and "1 already done" in out)
    rc, out, err = run("--manifest", pman, cmd="prepare-audio")
    check("prepare-audio without --speech is a usage error", rc == 2 and "--speech" in err)

print("1..%d" % n)
sys.exit(1 if failed else 0)
