("`bench/share.py` (a shim for `sleeptrain bench share`) end to end on a tiny random model; the figures in the docs "
 " come from the same command on the default model.")
import json, os, subprocess, sys, textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MERGES = ("cat", "linear", "ties", "svd")      # PEFT's add_weighted_adapter combination types the benchmark compares

def run(*args, timeout=600, prelude=None):
    "Run bench/share.py with `args`; `prelude` (Python code) runs first in the same process, e.g. to break a merge."
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SLEEPTRAIN_QUIET": "1"}
    script = str(ROOT / "bench" / "share.py")
    if prelude is None:
        cmd = [sys.executable, script, *args]
    else:
        launch = f"import runpy, sys\nsys.argv = {[script, *args]!r}\nrunpy.run_path({script!r}, run_name='__main__')\n"
        cmd = [sys.executable, "-c", textwrap.dedent(prelude) + launch]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)

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
    # ShareConfig.free_days = 2: the third day trains coefficients only
    assert top["modes"] == ["lora", "free", "coefficients"]
    # explained variance 1.0: the days fold losslessly
    assert top["replay"] == {"ratio": 4.0, "pairs": 2} and top["max_error"] < 1e-3
    assert res["peft_errors"] == {}, res["peft_errors"]                  # every PEFT merge ran on the tiny model
    assert set(res["peft"]) == set(MERGES)
    for kind in MERGES:
        row = res["peft"][kind]
        assert "error" not in row and row["recall"] is not None and len(row["recall_by_day"]) == 3, (kind, row)
        assert row["merged_params"] > 0 and row["stored_params"] == res["separate"]["stored_params"], (kind, row)
    nd = res["new_day"]
    assert nd["coefficients"]["trainable_params"] < nd["full_lora"]["trainable_params"] and nd["trainable_ratio"] > 1
    assert set(res["targets"]) == {"share ev=0.9", "share on top"}
    assert all(
        set(t) == {"keeps_95pct_recall", "stores_20x_fewer", "beats_best_peft_merge"} for t in res["targets"].values()
    )


BREAK_TIES = """
    from peft.tuners.lora import LoraModel      # PeftModel.add_weighted_adapter forwards to its LoraModel
    real_merge = LoraModel.add_weighted_adapter
    def merge_without_ties(self, *args, combination_type="svd", **kwargs):
        if combination_type == "ties":
            raise RuntimeError("ties broken on purpose")
        return real_merge(self, *args, combination_type=combination_type, **kwargs)
    LoraModel.add_weighted_adapter = merge_without_ties
"""


def test_share_bench_records_a_failed_merge_as_an_error(tmp_path):
    out = tmp_path / "share.json"
    r = run(
        "--model",
        "tiny",
        "--days",
        "2",
        "--facts",
        "1",
        "--epochs",
        "1",
        "--variance",
        "0.9",
        "--json",
        str(out),
        prelude=BREAK_TIES,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert res["peft_errors"] == {"ties": "RuntimeError: ties broken on purpose"}, res["peft_errors"]
    assert res["peft"]["ties"] == {"recall": None, "error": "RuntimeError: ties broken on purpose"}
    assert all(res["peft"][kind]["recall"] is not None for kind in MERGES if kind != "ties")  # the others still ran
    assert "peft ties merge failed" in r.stdout


def test_share_bench_bad_arguments():
    r = run("--days", "1")
    assert r.returncode != 0 and "days must be >= 2" in r.stderr, r.stderr[-500:]
    r = run("--weight", "heavy")
    assert r.returncode != 0 and "'heavy'" in r.stderr, r.stderr[-500:]
    r = run("--variance", "1.5")
    assert r.returncode != 0 and "[1.5]" in r.stderr, r.stderr[-500:]
