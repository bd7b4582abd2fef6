("`sleeptrain bench continual` (through bench/continual.py) and `sleeptrain bench ablations` end to end on the tiny "
 "model: leaderboard rows and columns, matrices, report, the final JSON line.")
import json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ["base", "rag", "naive", "sleeptrain", "sleeptrain+share", "sleeptrain+rag"]
SLEEPING = ["naive", "sleeptrain", "sleeptrain+share", "sleeptrain+rag"]
STREAM = [
    "--model",
    "tiny",
    "--days",
    "2",
    "--facts-per-day",
    "2",
    "--seed",
    "0",
    "--epochs",
    "1",
    "--max-new-tokens",
    "6",
    "--no-gates",
]
COLUMNS = [
    "system",
    "ablation",
    "seeds",
    "ACC",
    "BWT",
    "FWT",
    "forgetting",
    "last_day_recall",
    "update_accuracy",
    "poison_resistance",
    "locality",
    "ppl_drift",
    "context_tokens_per_answer",
    "sleep_seconds",
    "flops_per_sleep",
    "peak_memory_mb",
    "stored_params",
]


def run(*args, timeout=600):
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SLEEPTRAIN_QUIET": "1",
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    return subprocess.run([*args], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


def last_json(r) -> dict:
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_continual_and_ablations(tmp_path):
    out = tmp_path / "bench"
    r = run(
        sys.executable,
        "bench/continual.py",
        *STREAM,
        "--systems",
        *SYSTEMS,
        "--out",
        str(out),
        "--json",
        str(tmp_path / "continual.json"),
    )
    res = last_json(r)
    assert res == json.loads((tmp_path / "continual.json").read_text()) and list(res["systems"]) == SYSTEMS
    assert res["stream"] == {"fact": 4, "update": 1, "poison": 1, "distractor": 2} and res["peak_memory"] in (
        "rss_growth",
        "cuda_max_allocated",
    )
    # the table before the JSON line
    assert all(line in r.stdout for line in ("acc", "update", "poison", "ctx_tok"))

    lb = json.loads((out / "leaderboard.json").read_text())
    assert lb["columns"] == COLUMNS
    rows = {row["system"]: row for row in lb["rows"]}
    assert list(rows) == SYSTEMS and all(row["ablation"] is None and row["seeds"] == [0] for row in rows.values())
    for row in rows.values():
        assert set(COLUMNS) <= set(row)
        for k in ("ACC", "forgetting", "last_day_recall", "update_accuracy", "poison_resistance"):
            assert 0 <= row[k] <= 1, (row["system"], k)
        # the tiny model answers no general question: no locality set
        assert -1 <= row["BWT"] <= 1 and -1 <= row["FWT"] <= 1 and row["locality"] is None
    # never sleep, store no parameters
    for s in ("base", "rag"):
        assert (
            rows[s]["sleep_seconds"] is None
            and rows[s]["flops_per_sleep"] is None
            and rows[s]["peak_memory_mb"] is None
        )
        assert rows[s]["stored_params"] == 0 and rows[s]["ppl_drift"] == 0
    for s in SLEEPING:
        assert (
            rows[s]["sleep_seconds"] > 0
            and rows[s]["flops_per_sleep"] > 0
            and rows[s]["peak_memory_mb"] >= 0
            and rows[s]["stored_params"] > 0
        ), s
    # one agent, asked two ways
    assert rows["sleeptrain+rag"]["sleep_seconds"] == rows["sleeptrain"]["sleep_seconds"]
    assert rows["rag"]["context_tokens_per_answer"] > 0 and rows["sleeptrain+rag"]["context_tokens_per_answer"] > 0
    # closed book
    assert all(rows[s]["context_tokens_per_answer"] == 0 for s in ("base", "naive", "sleeptrain", "sleeptrain+share"))

    mats = json.loads((out / "matrices.json").read_text())
    assert set(mats) == set(SYSTEMS)
    for label, m in mats.items():
        R = m["R"]
        assert m["seed"] == 0 and len(R) == 2 and all(len(row) == 2 for row in R)
        assert (
            all((x is None) == (j > i + 1) for i, row in enumerate(R) for j, x in enumerate(row))
            and R == res["systems"][label]["R"]
        )
    assert len(json.loads((out / "sleeps.json").read_text())["sleeptrain"]) == 2
    for f in ("recall_per_day.png", "compute.png", "hedge.png"):
        assert (out / f).stat().st_size > 1000, f
    html = (out / "report.html").read_text()
    assert (
        html.count("<img") >= 1 + len(SYSTEMS) + 2 and "data:image/png;base64," in html and "sleeptrain+share" in html
    )

    r = run(
        str(Path(sys.executable).parent / "sleeptrain"),
        "bench",
        "ablations",
        *STREAM,
        "--ablations",
        "no_replay",
        "--out",
        str(out),
    )
    res = last_json(r)
    # the full system's row was already there
    assert list(res["systems"]) == ["sleeptrain/no_replay"]
    lb = json.loads((out / "leaderboard.json").read_text())["rows"]
    assert [(row["system"], row["ablation"]) for row in lb] == [(s, None) for s in SYSTEMS] + [
        ("sleeptrain", "no_replay")
    ]
    assert lb[-1]["sleep_seconds"] > 0 and lb[-1]["context_tokens_per_answer"] == 0
    assert (
        "sleeptrain/no_replay" in json.loads((out / "matrices.json").read_text()) and "sleeptrain/no_replay" in r.stdout
    )
    assert "no_replay" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    "args,needle",
    [
        (["bench", "continual", "--systems", "magic"], "magic"),
        (["bench", "continual", "--updates", "-1"], "-1"),
        (["bench", "continual", "--days", "0"], "0"),
        (["bench", "ablations", "--ablations", "vibes"], "vibes"),
        (["bench", "continual", "--out", "/proc/no/such/dir"], "/proc/no/such/dir"),
    ],
)
def test_bad_arguments_one_clear_line(args, needle):
    r = run(str(Path(sys.executable).parent / "sleeptrain"), *args, timeout=300)
    assert r.returncode != 0
    last = [line for line in r.stderr.strip().splitlines() if line.strip()][-1]
    assert needle in last and "Traceback" not in r.stderr, r.stderr[-1500:]
