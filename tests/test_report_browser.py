"""Open a SleepTrain HTML report in headless Chromium: every inline image decodes, every table is in the DOM, and the
page paints."""

import os, re, subprocess
from pathlib import Path
import pytest
from PIL import Image
from sleeptrain.hedge import Hedge
from sleeptrain.report import leaderboard_row, write_report

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
]


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        why = (
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does it as root: apt-get install "
            "chromium)"
        )
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return CHROMIUM


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    M = {
        "sleeptrain": {
            0: [[1.0, 0.0, None], [0.95, 1.0, 0.05], [0.9, 0.95, 1.0]],
            1: [[1.0, 0.05, None], [1.0, 0.95, 0.0], [0.95, 0.9, 1.0]],
        },
        "naive <LoRA>": [[1.0, 0.0, None], [0.4, 1.0, 0.0], [0.2, 0.5, 1.0]],
    }
    sleeps = {
        "sleeptrain": [
            {"sleep": d, "seconds": 30.0 + 5 * d, "flops": 2e12 * d, "peak_memory_mb": 900.0 + d} for d in (1, 2, 3)
        ],
        "naive <LoRA>": [{"sleep": d, "seconds": 10.0, "flops": 1e12} for d in (1, 2, 3)],
    }
    rows = [
        leaderboard_row(
            "sleeptrain", M["sleeptrain"], sleeps["sleeptrain"], {"locality": [1.0, 0.9], "ppl_drift": [0.0, 0.01]}
        ),
        leaderboard_row(
            "naive <LoRA>", M["naive <LoRA>"], sleeps["naive <LoRA>"], {"locality": 0.3, "ppl_drift": 0.25}
        ),
    ]
    policy = Hedge()
    for r in [(0.0, 1.0, 0.5), (0.2, 0.9, 0.1), (0.1, 0.8, 0.6)]:
        policy.update(r)
    return write_report(
        tmp_path_factory.mktemp("report"),
        rows,
        matrices=M,
        per_sleep=sleeps,
        policy=policy,
        title="browser test & <check>",
        notes="Rendered by headless Chromium.",
    )


def _chromium(chromium, tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    r = subprocess.run(
        [str(chromium), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=180
    )
    assert r.returncode == 0, f"chromium exited with {r.returncode}: {r.stderr[-3000:]}"
    return r


def test_report_renders_images_and_tables(chromium, report, tmp_path):
    page = report.read_text()
    n_img, n_tab = page.count("<img "), page.count("<table")
    assert n_img == 5 and n_tab == 4  # recall, 2 heatmaps, compute, Hedge; leaderboard + 3 matrices
    dom = _chromium(chromium, tmp_path, "--dump-dom", report.as_uri()).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body, dom[:2000]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(0)))
    assert int(attrs["images-loaded"]) == dom.count("<img ") > 0, attrs
    assert int(attrs["tables"]) == dom.count("<table") == n_tab > 0, attrs
    assert "browser test &amp; &lt;check&gt;" in dom and "naive &lt;LoRA&gt;, seed 0" in dom


def test_report_screenshot_is_not_blank(chromium, report, tmp_path):
    png = tmp_path / "shot.png"
    _chromium(
        chromium, tmp_path, f"--screenshot={png}", "--window-size=1280,2400", "--hide-scrollbars", report.as_uri()
    )
    assert png.stat().st_size > 10_000, png.stat().st_size
    img = Image.open(png).convert("RGB")
    assert img.size == (1280, 2400)
    colours = img.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, f"only {len(colours)} colours: the page did not paint"
