"""One tiny agent observes six fictional facts and sleeps once — run it with plain `python` or under
`accelerate launch`.

    python tests/ddp_sleep.py MEMORY_DIR SUMMARY_JSON
    accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no --dynamo_backend no \
        tests/ddp_sleep.py MEMORY_DIR SUMMARY_JSON

The main process writes SUMMARY_JSON: whether the sleep was accepted, the memory and history as the
main process sees them, and every process's own view (so a test can check that they all agree)."""

import json, os, sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("SLEEPTRAIN_QUIET", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from pathlib import Path
from sleeptrain.agent import SleepTrainAgent
from sleeptrain.sleep import SleepConfig, SleepGates
from sleeptrain.distributed import rank_world, is_main_process
from sleeptrain.models import tiny_lm, load_embedder

FACTS = [
    "Corvin Ostrik was born in Lisbon.",
    "Mira Talveen works as a baker.",
    "Ilsa Brenwick plays the harp.",
    "Ada Quell keeps a pet owl.",
    "Tomas Verrin drives a red tractor.",
    "Yuna Pell grows blue tulips.",
]


def main(mem: Path, out: Path):
    cfg = SleepConfig(epochs=10, lr=1e-2, batch_size=4, dropout=0.0, self_distill=False, kl_weight=0.5, seed=0)
    agent = SleepTrainAgent(
        tiny_lm(seed=0),
        mem,
        embedder=load_embedder(),
        sleep_config=cfg,
        sleep_gates=SleepGates(min_recall=0.5, max_ppl_increase=10.0),
        seed=0,
    )
    decisions = agent.observe(FACTS)
    report = agent.sleep()
    rank, world = rank_world()
    view = {
        "rank": rank,
        "decisions": [d.action for d in decisions],
        "accepted": report["accepted"],
        "metrics": report.get("metrics"),
        "history": [(h["sleep"], h["accepted"], h.get("tokens")) for h in agent.history()],
        "memory": sorted((r.id, r.consolidated_in) for r in agent.memory.records()),
        "answer": agent.answer("Where was Corvin Ostrik born?", max_new_tokens=8),
    }
    if world > 1:
        from accelerate.utils import gather_object

        views = gather_object([view])
    else:
        views = [view]
    if is_main_process():
        records = agent.memory.records()
        summary = {
            "world_size": world,
            "accepted": report["accepted"],
            "reasons": report.get("reasons"),
            "n_memories": len(records),
            "texts": [r.text for r in records],
            "history_length": len(agent.history()),
            "tokens": report.get("tokens"),
            "flops": report.get("flops"),
            "loss_first": report.get("loss_first"),
            "loss_last": report.get("loss_last"),
            "train_seconds": report.get("train_seconds"),
            "views": views,
        }
        out.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
