"A sleep killed mid-training (SIGKILL) leaves the last accepted adapter intact, and the next sleep starts cleanly."
import json, signal, subprocess, sys, textwrap
from sleeptrain.core import verify_sidecar

AGENT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from sleeptrain.agent import SleepTrainAgent
    from sleeptrain.sleep import SleepConfig, SleepGates
    from sleeptrain.models import tiny_lm, load_embedder
    d, phase = Path(sys.argv[1]), sys.argv[2]
    cfg = SleepConfig(epochs=20, lr=5e-3, batch_size=4, self_distill=False, kl_weight=0.0)
    agent = SleepTrainAgent(tiny_lm(seed=0), d / "mem", embedder=load_embedder(), sleep_config=cfg,
                            sleep_gates=SleepGates.off())
    q = "Where was Corvin Ostrik born?"
    if phase == "first":
        agent.observe(["Corvin Ostrik was born in Lisbon.", "Mira Talveen works as a baker."])
        assert agent.sleep()["accepted"]
    elif phase == "killed":
        agent.observe(["Ilsa Brenwick plays the harp."])
        def die(entry):
            if entry["step"] == 3: os.kill(os.getpid(), signal.SIGKILL)   # mid-training, no chance to clean up
        agent.sleep(logger_fn=die)
    elif phase == "resume":
        print("LAST", agent.last_accepted, flush=True)
        print("ANSWER", agent.answer(q, max_new_tokens=12), flush=True)
        rep = agent.sleep()
        print("SLEEP", rep["sleep"], rep["accepted"], rep["n_new"], flush=True)
    print("ANSWER", agent.answer(q, max_new_tokens=12), flush=True)
""")


def run(d, phase):
    return subprocess.run([sys.executable, "-c", AGENT, str(d), phase], capture_output=True, text=True, timeout=600)


def lines(out, tag):
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(tag + " ")]


def test_sigkill_mid_sleep_keeps_last_accepted_adapter(tmp_path):
    first = run(tmp_path, "first")
    assert first.returncode == 0, first.stderr[-2000:]
    answer = lines(first.stdout, "ANSWER")[0]
    ck = tmp_path / "mem" / "sleeps"
    weights = (ck / "1" / "adapter_model.safetensors").read_bytes()

    killed = run(tmp_path, "killed")
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-2000:])
    assert (ck / "1" / "adapter_model.safetensors").read_bytes() == weights  # untouched, hash still valid
    verify_sidecar(ck / "1" / "adapter_model.safetensors")
    assert not (ck / "2").exists()
    assert [h["accepted"] for h in json.loads((ck / "history.json").read_text())] == [True]

    resumed = run(tmp_path, "resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert lines(resumed.stdout, "LAST") == ["1"]
    assert lines(resumed.stdout, "ANSWER")[0] == answer  # the last accepted adapter, exactly
    # the harp memory waited for this sleep
    assert lines(resumed.stdout, "SLEEP") == ["2 True 1"]
    assert (ck / "2" / "adapter_model.safetensors").exists() and not list(ck.glob(".*.tmp"))
