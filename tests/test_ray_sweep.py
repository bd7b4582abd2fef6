"Benchmark sweeps as Ray tasks (`run_sweep(ray=...)`, `sleeptrain bench continual --ray`) on a local Ray with 2 CPUs, on the tiny model."
import json, os, subprocess, sys
from pathlib import Path
import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'sleeptrain[ray]'")
from sleeptrain.benchmarks import run_sweep, SWEEP_TASK_LOG
from sleeptrain.sleep import SleepConfig, SleepGates

SMALL = dict(days=2, facts_per_day=1, config=SleepConfig(epochs=1), gates=SleepGates.off(), max_new_tokens=4, echo=lambda *a: None)
CLI = [str(Path(sys.executable).parent / "sleeptrain")]   # the installed console script

@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()

def _cli(*args, timeout=600):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)

def test_ray_rows_match_sequential(tmp_path, local_ray):
    "Each (system, seed) as a Ray task gives the same leaderboard as the same sweep in one process."
    seq = run_sweep(seeds=[0, 1], systems=["base", "naive"], out=tmp_path / "seq", model="tiny", **SMALL)
    par = run_sweep(seeds=[0, 1], systems=["base", "naive"], out=tmp_path / "ray", model="tiny", ray="local", **SMALL)
    assert not par["failures"] and par["ran"] == 4 and len(par["units"]) == 4
    assert {(u["seed"], u["label"]) for u in par["units"]} == {(s, x) for s in (0, 1) for x in ("base", "naive")}
    assert all((tmp_path / "ray" / f"seed{s}" / x / "leaderboard.json").exists() for s in (0, 1) for x in ("base", "naive"))
    cols = ("system", "seeds", "ACC", "ACC_std", "BWT", "last_day_recall", "update_accuracy", "poison_resistance", "stored_params")
    assert [{k: r.get(k) for k in cols} for r in par["leaderboard"]] == [{k: r.get(k) for k in cols} for r in seq["leaderboard"]]
    assert json.loads((tmp_path / "ray" / "matrices.json").read_text()) == json.loads((tmp_path / "seq" / "matrices.json").read_text())
    assert (tmp_path / "ray" / "report.html").exists()

def test_failed_task_retried_once_and_reported(tmp_path, local_ray):
    "A task that raises is retried once, then listed in `failures` and in the results file."
    bad = run_sweep(seeds=[0], systems=["base"], out=tmp_path / "bad", model=str(tmp_path / "no-such-model"), ray="local", **SMALL)
    assert len(bad["failures"]) == 1 and bad["failures"][0]["label"] == "base" and "no-such-model" in bad["failures"][0]["error"]
    log = [json.loads(l) for l in (tmp_path / "bad" / SWEEP_TASK_LOG).read_text().splitlines()]
    assert [e["event"] for e in log] == ["start", "error", "start", "error"]          # the first try and one retry
    assert bad["leaderboard"] == [] and json.loads((tmp_path / "bad" / "results.json").read_text())["failures"] == bad["failures"]

def test_cli_ray_and_bad_address(tmp_path):
    "The CLI runs a seeded sweep on a local Ray (its own ray.init()); an unreachable address or cluster is one line and a non-zero exit."
    out = tmp_path / "cli"
    r = _cli("bench", "continual", "--model", "tiny", "--days", "2", "--facts-per-day", "1", "--epochs", "1", "--no-gates", "--max-new-tokens", "4",
             "--systems", "base", "--seeds", "0", "1", "--ray", "--out", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["seeds"] == [0, 1] and res["ray"] == "local" and res["leaderboard"][0]["seeds"] == [0, 1]
    r = _cli("bench", "continual", "--model", "tiny", "--systems", "base", "--ray", "127.0.0.1:1", "--out", str(tmp_path / "x"), timeout=120)
    assert r.returncode != 0 and "cannot reach the Ray cluster at '127.0.0.1:1'" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
