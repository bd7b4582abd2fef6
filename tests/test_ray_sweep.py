("Benchmark sweeps as Ray tasks (`run_sweep(ray=...)`) on a local Ray with 2 CPUs, and the CLI's --seeds / --ray, on "
 "the tiny model.")
import json, os, subprocess, sys
from pathlib import Path
import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'sleeptrain[ray]'")
from sleeptrain.benchmarks import run_sweep, SWEEP_TASK_LOG
from sleeptrain.sleep import SleepConfig, SleepGates

SMALL = dict(
    days=2,
    facts_per_day=1,
    config=SleepConfig(epochs=1),
    gates=SleepGates.off(),
    max_new_tokens=4,
    echo=lambda *a: None,
)
CLI = [str(Path(sys.executable).parent / "sleeptrain")]  # the installed console script


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
    seq = run_sweep(seeds=[0, 1], systems=["naive"], out=tmp_path / "seq", model="tiny", **SMALL)
    par = run_sweep(seeds=[0, 1], systems=["naive"], out=tmp_path / "ray", model="tiny", ray="local", **SMALL)
    assert (
        not par["failures"]
        and par["ran"] == 2
        and {(u["seed"], u["label"]) for u in par["units"]} == {(0, "naive"), (1, "naive")}
    )
    assert all((tmp_path / "ray" / f"seed{s}" / "naive" / "leaderboard.json").exists() for s in (0, 1))
    cols = (
        "ACC",
        "ACC_std",
        "BWT",
        "last_day_recall",
        "update_accuracy",
        "poison_resistance",
        "ppl_drift",
        "stored_params",
    )
    (a,), (b,) = par["leaderboard"], seq["leaderboard"]
    assert (a["system"], a["seeds"]) == (b["system"], b["seeds"]) == ("naive", [0, 1])
    # same seeds, same rows (thread counts may round differently)
    for k in cols:
        assert (a[k] is None and b[k] is None) or a[k] == pytest.approx(b[k], rel=1e-4), (k, a[k], b[k])
    assert json.loads((tmp_path / "ray" / "matrices.json").read_text()) == json.loads(
        (tmp_path / "seq" / "matrices.json").read_text()
    )
    assert (tmp_path / "ray" / "report.html").exists()


def test_failed_task_retried_once_and_reported(tmp_path, local_ray):
    "A task that raises is retried once, then listed in `failures` and in the results file."
    bad = run_sweep(
        seeds=[0], systems=["base"], out=tmp_path / "bad", model=str(tmp_path / "no-such-model"), ray="local", **SMALL
    )
    assert (
        len(bad["failures"]) == 1
        and bad["failures"][0]["label"] == "base"
        and "no-such-model" in bad["failures"][0]["error"]
    )
    log = [json.loads(line) for line in (tmp_path / "bad" / SWEEP_TASK_LOG).read_text().splitlines()]
    assert [e["event"] for e in log] == ["start", "error", "start", "error"]  # the first try and one retry
    assert (
        bad["leaderboard"] == []
        and json.loads((tmp_path / "bad" / "results.json").read_text())["failures"] == bad["failures"]
    )


def test_cli_seeds_and_bad_ray_address(tmp_path):
    """The CLI's --seeds writes a mean ± std leaderboard; an unreachable --ray address is one line and a non-zero exit,
    before any work."""
    r = _cli(
        "bench",
        "continual",
        "--model",
        "tiny",
        "--days",
        "2",
        "--facts-per-day",
        "1",
        "--max-new-tokens",
        "4",
        "--systems",
        "base",
        "--seeds",
        "0",
        "1",
        "--out",
        str(tmp_path / "cli"),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert (
        res["seeds"] == [0, 1]
        and res["ray"] is None
        and res["leaderboard"][0]["seeds"] == [0, 1]
        and "ACC_std" in res["leaderboard"][0]
    )
    r = _cli(
        "bench",
        "continual",
        "--model",
        "tiny",
        "--systems",
        "base",
        "--ray",
        "127.0.0.1:1",
        "--out",
        str(tmp_path / "x"),
        timeout=120,
    )
    assert (
        r.returncode != 0
        and "cannot reach the Ray cluster at '127.0.0.1:1'" in r.stderr
        and "Traceback" not in r.stderr
    ), r.stderr[-2000:]
    assert not (tmp_path / "x" / "seed0").exists()
