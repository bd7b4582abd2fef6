#!/usr/bin/env python
"""Quantised-sleep benchmark: the same day of new fictional facts slept into the same model twice in one
run, in full precision (fp32) and in 4-bit NF4 with double quantisation (QLoRA, bitsandbytes; `--quantization
8bit` for LLM.int8), each with a fresh agent, the same SleepConfig and the gates off (so both adapters are
measured, none rolled back). For each: recall on held-out probe questions (never trained on; adapter always
on), locality on the general questions that base model answered correctly, perplexity drift on the frozen
general text, model memory footprint (`get_memory_footprint`, MB) and sleep seconds; then the ratios
(4-bit recall / fp32 recall, fp32 footprint / 4-bit footprint) against the targets (recall within 5%
relative, footprint >= 3x smaller), and one line of JSON (`--json FILE` writes it too).

    python bench/quantized.py                      # 24 facts, 5 epochs, default model (offline)
    python bench/quantized.py --facts 2 --epochs 1 # a smoke run
"""
import argparse, gc, json, sys, tempfile, time
from pathlib import Path

TARGETS = {"recall_ratio": (">=", 0.95), "footprint_ratio": (">=", 3.0)}
f3 = lambda v, sign="": "n/a" if v is None else f"{v:{sign}.3f}"


def positive(s: str) -> int:
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {s!r}")
    return v


def parse(argv=None):
    p = argparse.ArgumentParser(
        "bench/quantized.py", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", default=None, help="hub id, folder or .gguf (default: SmolLM2-135M-Instruct, offline)")
    p.add_argument("--facts", type=positive, default=24, help="new facts slept (default 24)")
    p.add_argument("--probes", type=positive, default=3, help="held-out questions per fact, at most 3 (default 3)")
    p.add_argument("--epochs", type=positive, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--rank", type=positive, default=16)
    p.add_argument("--quantization", default="4bit", choices=["4bit", "8bit"])
    p.add_argument(
        "--compute-dtype",
        default=None,
        help="4-bit compute dtype: fp32, bf16 or fp16 (default: bf16 on capable GPUs, else fp32)",
    )
    p.add_argument("--dtype", default="fp32", help="dtype of the full-precision reference (default fp32)")
    p.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--max-new-tokens", type=positive, default=24)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, metavar="FILE", help="also write the JSON result to FILE")
    return p.parse_args(argv)


def run(args, echo=print) -> dict:
    from sleeptrain.agent import SleepTrainAgent
    from sleeptrain.world import make_facts, chance_level
    from sleeptrain.evaluation import ask, model_view
    from sleeptrain.models import load_lm, load_embedder
    from sleeptrain.sleep import SleepConfig, SleepGates

    t0 = time.time()
    cfg = SleepConfig(epochs=args.epochs, lr=args.lr, rank=args.rank, alpha=2 * args.rank, seed=args.seed)
    items = make_facts(args.facts, seed=args.seed)
    statements = [it.statement for it in items]
    probes = [(q, it.answer) for it in items for q in it.probes[: args.probes]]
    embedder = load_embedder()
    echo(
        f"{len(items)} facts, {len(probes)} held-out questions (chance {chance_level(items):.3f}); "
        f"rank-{cfg.rank} LoRA, {cfg.epochs} epochs, lr {cfg.lr}; fp32 ({args.dtype}) vs {args.quantization}",
        flush=True,
    )
    res = {
        "facts": args.facts,
        "probes": len(probes),
        "seed": args.seed,
        "quantization": args.quantization,
        "chance_level": chance_level(items),
        "config": cfg.to_dict(),
        "runs": {},
    }
    for label, kw in (
        ("fp32", dict(dtype=args.dtype)),
        (args.quantization, dict(quantization=args.quantization, compute_dtype=args.compute_dtype)),
    ):
        echo(f"== {label} ==", flush=True)
        t = time.time()
        model, tok = load_lm(args.model, device=args.device, **kw)
        row = {
            "load_seconds": time.time() - t,
            "source": model.sleeptrain_source,
            "quantization": model.sleeptrain_quantization,
            "footprint_mb": model.get_memory_footprint() / 2**20,
        }
        qc = getattr(model.config, "quantization_config", None)
        if qc is not None and getattr(qc, "load_in_4bit", False):
            row["compute_dtype"] = str(qc.bnb_4bit_compute_dtype).replace("torch.", "")
        with tempfile.TemporaryDirectory(prefix="bench-quantized-") as tmp:
            agent = SleepTrainAgent(
                (model, tok),
                Path(tmp) / "memory",
                embedder=embedder,
                sleep_config=cfg,
                sleep_gates=SleepGates.off(),
                route_threshold=None,
                seed=args.seed,
            )

            def recall(m):
                return ask(model_view(m, tok, args.max_new_tokens, desc=f"{label} probes").answer, {"probes": probes})[
                    0
                ]["probes"]

            t = time.time()
            # base answers: locality set, general perplexity, self-distillation
            base = agent.baseline()
            row["base_recall"] = recall(model)
            row.update(
                base_seconds=time.time() - t,
                n_locality=len(base["locality"]),
                base_general_acc=base["general_acc"],
                base_ppl=base["ppl"],
            )
            echo(
                f"{label}: {row['footprint_mb']:.1f} MB ({row['source']}); base recall {row['base_recall']:.3f}, "
                f"general {row['base_general_acc']:.3f} ({row['n_locality']} locality questions), "
                f"perplexity {row['base_ppl']:.2f}",
                flush=True,
            )
            decisions = agent.observe(statements)
            t = time.time()
            rep = agent.sleep()
            row["sleep_seconds"] = time.time() - t
            m = rep.get("metrics", {})
            row.update(
                n_new=rep.get("n_new"),
                stored=sum(1 for d in decisions if d.record is not None),
                train_seconds=rep.get("train_seconds"),
                steps=rep.get("steps"),
                loss_first=rep.get("loss_first"),
                loss_last=rep.get("loss_last"),
                recall=recall(agent.model),
                locality=m.get("locality_weights"),
                ppl=m.get("ppl_weights"),
                ppl_drift=m.get("ppl_increase_weights"),
                footprint_slept_mb=agent.model.get_memory_footprint() / 2**20,
                default_gates=SleepGates().check(
                    {k: m.get(k) for k in ("recall", "retention", "locality", "ppl_increase")}
                ),
            )
            echo(
                f"{label}: sleep {row['sleep_seconds']:.0f}s (training {row['train_seconds']:.0f}s, {row['steps']} "
                f"steps, loss {row['loss_first']:.3f} -> {row['loss_last']:.3f}); "
                f"recall {row['recall']:.3f}, locality {f3(row['locality'])}, "
                f"perplexity drift {f3(row['ppl_drift'], '+')}; "
                f"default gates: {'accept' if not row['default_gates'] else '; '.join(row['default_gates'])}",
                flush=True,
            )
            del agent
        del model
        gc.collect()
        res["runs"][label] = row
    fp, q = res["runs"]["fp32"], res["runs"][args.quantization]
    res["recall_ratio"] = q["recall"] / fp["recall"] if fp["recall"] else None
    res["footprint_ratio"] = fp["footprint_mb"] / q["footprint_mb"]
    res["sleep_seconds_ratio"] = q["sleep_seconds"] / fp["sleep_seconds"]
    res["locality_delta"] = (
        (q["locality"] - fp["locality"]) if q["locality"] is not None and fp["locality"] is not None else None
    )
    res["ppl_drift_delta"] = (
        (q["ppl_drift"] - fp["ppl_drift"]) if q["ppl_drift"] is not None and fp["ppl_drift"] is not None else None
    )
    res["targets"] = {
        k: (res[k] >= v if op == ">=" else res[k] <= v) if res[k] is not None else None
        for k, (op, v) in TARGETS.items()
    }
    res["total_seconds"] = time.time() - t0
    rr = f"{res['recall_ratio']:.3f}" if res["recall_ratio"] is not None else "n/a (fp32 recall is 0)"
    echo(
        f"{args.quantization} / fp32: recall {q['recall']:.3f} / {fp['recall']:.3f} = {rr} (target >= 0.95); "
        f"footprint {fp['footprint_mb']:.1f} / {q['footprint_mb']:.1f} MB = {res['footprint_ratio']:.2f}x smaller "
        "(target >= 3x); "
        f"sleep {res['sleep_seconds_ratio']:.2f}x the time; locality {f3(q['locality'])} vs {f3(fp['locality'])}; "
        f"perplexity drift {f3(q['ppl_drift'], '+')} vs {f3(fp['ppl_drift'], '+')}",
        flush=True,
    )
    return res


def main(argv=None) -> int:
    args = parse(argv)
    if args.json:
        d = Path(args.json).expanduser().resolve().parent
        try:
            d.mkdir(parents=True, exist_ok=True)
            tempfile.NamedTemporaryFile(dir=d).close()
        except OSError as e:
            raise SystemExit(f"bench/quantized.py: error: --json {str(d)!r} is not writable: {e.strerror or e}")
    from sleeptrain.core import atomic_write_json, provenance

    res = {
        **run(args),
        "provenance": provenance(["python", "bench/quantized.py", *(sys.argv[1:] if argv is None else argv)]),
    }
    if args.json:
        atomic_write_json(args.json, res)
    print(json.dumps(res, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
