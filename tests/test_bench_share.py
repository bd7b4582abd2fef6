"`bench/share.py` end to end on a tiny random model (the figures in the docs come from the same script on the default model)."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def run(*args, timeout=600):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SLEEPTRAIN_QUIET": "1"}
    return subprocess.run([sys.executable, str(ROOT / "bench" / "share.py"), *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)

def test_share_bench_smoke(tmp_path):
    out = tmp_path / "share.json"
    r = run("--model", "tiny", "--days", "3", "--facts", "2", "--epochs", "1", "--variance", "0.9", "--json", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res          # the last line printed is the JSON written
    assert res["days"] == 3 and len(res["separate"]["recall_by_day"]) == 3 and len(res["base_recall"]) == 3
    share, top = res["share"]["0.9"], res["share_on_top"]
    assert share["stored_with_basis"] == share["stored_params"] + share["basis_params"]
    assert share["ratio_without_basis"] == res["separate"]["stored_params"] / share["stored_params"]
    assert top["modes"] == ["lora", "free", "coefficients"]             # ShareConfig.free_days = 2: the third day trains coefficients only
    assert top["replay"] == {"ratio": 4.0, "pairs": 2} and top["max_error"] < 1e-3   # explained variance 1.0: the days fold losslessly
    assert {"cat", "linear", "ties", "svd"} <= set(res["peft"])
    nd = res["new_day"]
    assert nd["coefficients"]["trainable_params"] < nd["full_lora"]["trainable_params"] and nd["trainable_ratio"] > 1
    assert set(res["targets"]) == {"share ev=0.9", "share on top"}
    assert all(set(t) == {"keeps_95pct_recall", "stores_20x_fewer", "beats_best_peft_merge"} for t in res["targets"].values())

def test_share_bench_bad_arguments():
    r = run("--days", "1")
    assert r.returncode == 2 and "--days must be >= 2" in r.stderr, r.stderr[-500:]
    r = run("--weight", "heavy")
    assert r.returncode == 2 and "heavy" in r.stderr, r.stderr[-500:]
