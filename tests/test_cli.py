"The `sleeptrain` console script: a reduced real demo on the default model, and bad arguments."
import json, os, subprocess, sys
from pathlib import Path
import pytest

def run(*args, timeout=600):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SLEEPTRAIN_QUIET": "1"}
    exe = Path(sys.executable).parent / "sleeptrain"   # the installed console script
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=timeout)

def test_reduced_demo_learns(tmp_path):
    out = tmp_path / "demo"
    r = run("demo", "--facts", "4", "--general", "10", "--held-out", "20", "--out", str(out),
            timeout=900)  # ~6 min on one CPU thread
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((out / "results.json").read_text())
    for k in ("recall_before", "recall_after", "n_facts", "sleep_seconds", "total_seconds", "model",
              "locality_before", "locality_after", "ppl_before", "ppl_after"):
        assert k in res, k
    assert res["n_facts"] == 4 and res["model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert res["recall_before"] <= 0.2 and res["recall_after"] >= 0.75, res
    # routed: general questions keep their answers
    assert res["accepted"] and res["locality"] >= 0.9, res
    # the adapter-always-on damage is reported too
    assert {"locality_weights", "ppl_drift_weights"} <= set(res)
    # and the damage on the held-out sets no gate saw, with intervals
    assert set(res["held_out"]) == {"heldout_general", "near_miss", "wikipedia"}
    assert res["held_out"]["near_miss"]["routed"]["n"] == 20 and "near_miss_locality_weights" in res
    assert "held-out damage" in r.stdout
    assert (out / "recall.png").stat().st_size > 1000
    assert "recall (held-out questions)" in r.stdout

@pytest.mark.parametrize("args,needle", [
    (["demo", "--facts", "-3"], "-3"),
    (["demo", "--epochs", "many"], "many"),
    (["demo", "--out", "/proc/no/such/dir"], "/proc/no/such/dir"),
    (["demo", "--model", "/nonexistent/model.gguf", "--out", "{tmp}"], "/nonexistent/model.gguf"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_arguments_one_clear_line(tmp_path, args, needle):
    args = [a.replace("{tmp}", str(tmp_path / "o")) for a in args]
    r = run(*args, timeout=300)
    assert r.returncode != 0
    last = [line for line in r.stderr.strip().splitlines() if line.strip()][-1]
    assert needle in last and "Traceback" not in r.stderr, r.stderr[-1500:]


def test_bench_quantized_smoke(tmp_path):
    "`sleeptrain bench quantized` on the tiny model: fp32 and 4-bit runs, the ratios, and the JSON line it writes."
    out = tmp_path / "quantized.json"
    r = run("bench", "quantized", "--model", "tiny", "--facts", "1", "--probes", "1", "--epochs", "1", "--rank", "2",
            "--json", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res
    assert set(res["runs"]) == {"fp32", "4bit"} and res["footprint_ratio"] > 1
    assert res["provenance"]["command"].startswith("sleeptrain bench quantized")
    assert "4bit / fp32: recall" in r.stdout


def test_bench_latency_smoke(tmp_path):
    "`sleeptrain bench latency` on the tiny model: both engines per mode, the same tokens, targets and the JSON line."
    out = tmp_path / "latency.json"
    r = run("bench", "latency", "--model", "tiny", "--facts", "1", "--general", "3", "--single", "2", "--epochs", "1",
            "--max-new-tokens", "6", "--eval-max-new-tokens", "6", "--modes", "closed", "routed", "--json", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res
    assert set(res["single"]) == set(res["batched"]) == {"closed", "routed"}
    assert res["batched"]["routed"]["same_batches"]["identical"] == res["questions"] == 5
    assert set(res["targets"]) == {"single_closed_p50_s", "batched_closed_speedup"}
    assert res["provenance"]["command"].startswith("sleeptrain bench latency")
    bad = run("bench", "latency", "--model", "tiny", "--modes", "open")
    assert bad.returncode != 0 and "open" in bad.stderr

def test_bench_anytext_smoke(tmp_path):
    "`sleeptrain bench anytext` on the tiny model: each set scored before, with RAG and after the sleep; the JSON line."
    out = tmp_path / "anytext.json"
    r = run("bench", "anytext", "--model", "tiny", "--statements", "2", "--notes", "1", "--facts", "1", "--epochs", "1",
            "--json", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res
    assert res["memories"] == {"statements": 2, "notes": 1, "template": 1} and res["stored"] == 4
    assert set(res["routed"]) == set(res["adapter_on"]) == set(res["rag"]) == {"statements", "notes", "template"}
    assert res["n_probes"] > 0 and res["provenance"]["command"].startswith("sleeptrain bench anytext")
    bad = run("bench", "anytext", "--model", "tiny", "--notes", "0")
    assert bad.returncode != 0 and "--notes" in bad.stderr

def test_bench_real_smoke(tmp_path):
    "`sleeptrain bench real` on the tiny model and two real zsRE edits: answers written, resumed, the JSON line."
    fixtures = Path(__file__).parent / "fixtures"
    out, result = tmp_path / "zsre", tmp_path / "real.json"
    args = ["bench", "real", "--task", "zsre", "--data", str(fixtures / "zsre.json"), "--model", "tiny", "--n", "2",
            "--per-day", "1", "--epochs", "1", "--max-new-tokens", "4", "--systems", "base", "rag", "sleeptrain",
            "--gates", "off", "--out", str(out), "--json", str(result)]
    r = run(*args)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(result.read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res
    assert res["eval_days"] == [1] and sorted(res["sleeps"]) == ["0", "1"]
    assert sorted(res["scores"]) == ["base", "rag", "sleeptrain"]
    assert sorted(res["scores"]["sleeptrain"]["final"]) == ["edit", "locality", "rephrase"]
    assert res["provenance"]["command"].startswith("sleeptrain bench real")
    again = run(*args)  # everything is in the results file: nothing is generated or slept again
    assert again.returncode == 0 and "answers (" not in again.stdout and "sleep 0" not in again.stdout
    assert json.loads(result.read_text())["scores"] == res["scores"]
    missing = str(tmp_path / "no-such.json")
    bad = run("bench", "real", "--task", "squad", "--data", missing, "--out", str(tmp_path / "x"))
    assert bad.returncode != 0 and "no-such.json" in bad.stderr.strip().splitlines()[-1]

@pytest.mark.parametrize("args,needle", [
    (["bench", "memory", "--batch", "0"], "0"),
    (["bench", "memory", "--sizes", "100", "--squad", "/no/such/squad.json"], "/no/such/squad.json"),
])
def test_bench_memory_bad_arguments_one_clear_line(args, needle):
    r = run(*args, timeout=300)
    assert r.returncode != 0
    last = [line for line in r.stderr.strip().splitlines() if line.strip()][-1]
    assert needle in last and "Traceback" not in r.stderr, r.stderr[-1500:]


def test_bench_contradiction_smoke(tmp_path):
    "`sleeptrain bench contradiction` with the rule backends: free-text halves, the fictional set, the JSON line."
    out = tmp_path / "contradiction.json"
    r = run("bench", "contradiction", "--backends", "structured", "text", "auto", "--per-category", "2",
            "--json", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res
    assert res["provenance"]["command"].startswith("sleeptrain bench contradiction")
    assert (res["free_text"]["n_pairs"], res["fictional"]["n_pairs"]) == (250, 18)
    assert sorted(res["free_text"]["backends"]) == ["auto", "structured", "text"]
    text = res["free_text"]["backends"]["text"]
    assert set(text) == {"dev", "held_out", "all", "seconds"} and text["held_out"]["f1"] > 0.6
    assert res["fictional"]["backends"]["auto"]["accuracy"] == 1.0
    assert "free text       text: dev P" in r.stdout
    bad = tmp_path / "pairs.json"
    bad.write_text('{"pairs": [{"id": "x1", "memory": "A.", "claim": "B.", "contradicts": "yes", "type": "t"}]}')
    r = run("bench", "contradiction", "--backends", "text", "--pairs", str(bad))
    last = [line for line in r.stderr.strip().splitlines() if line.strip()][-1]
    assert r.returncode != 0 and "pairs[0].contradicts" in last and "Traceback" not in r.stderr, r.stderr[-1500:]
