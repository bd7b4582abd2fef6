#!/usr/bin/env python
"""Share benchmark: one adapter per day of new fictional facts, then, in one run on the same adapters,
recall of every day's facts with each day's own adapter, with the Share merged adapter (at several
explained-variance settings) and with PEFT's own `add_weighted_adapter` merges (cat = exact sum, linear,
ties, svd); the agent's scheme (each day learnt on top of the merged earlier days, earlier facts replayed,
then absorbed); stored parameters of each; and a new day trained with Share coefficients only next to a full
LoRA. Prints a table and ends with one line of JSON (`--json FILE` writes it too).

    python bench/share.py --days 4 --facts 8 --seed 0
    python bench/share.py --model tiny --days 2 --facts 2 --epochs 1   # smoke run on a tiny random model
"""
import argparse, json, math, random, sys, time
from dataclasses import replace


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=4, help="days (one adapter each) folded into the subspace")
    ap.add_argument("--facts", type=int, default=8, help="new facts per day")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--variance", type=float, nargs="+", default=[0.6, 0.9, 0.99], help="explained-variance targets of "
                                                                                        "the Share basis")
    ap.add_argument("--p", type=int, default=4, help="pseudo-rank of the coefficient-only new day")
    ap.add_argument("--phi", type=int, default=1, help="temporary directions of the coefficient-only new day")
    ap.add_argument("--weight", default="mean", help="weight of each adapter in the merges: 'mean' (1/days, "
                                                     "task-arithmetic averaging), 'sum' (1.0) or a number")
    ap.add_argument("--model", default=None, help="base model (default: the offline SmolLM2-135M-Instruct; 'tiny' = a "
                                                  "2-layer random Llama for smoke runs)")
    ap.add_argument("--json", default=None, help="also write the JSON result here")
    a = ap.parse_args(argv)
    for k in ("days", "facts", "epochs", "rank", "p"):
        if getattr(a, k) < 1:
            ap.error(f"--{k} must be >= 1, got {getattr(a, k)}")
    if a.days < 2:
        ap.error(f"--days must be >= 2 (a subspace of one adapter shares nothing), got {a.days}")
    if any(not 0 < v <= 1 for v in a.variance):
        ap.error(f"--variance values must be in (0, 1], got {a.variance}")
    try:
        a.w = 1.0 / a.days if a.weight == "mean" else 1.0 if a.weight == "sum" else float(a.weight)
    except ValueError:
        ap.error(f"--weight must be 'mean', 'sum' or a number, got {a.weight!r}")
    return a


def main(argv=None) -> int:
    a = parse(sys.argv[1:] if argv is None else argv)
    from peft import PeftModel, get_peft_model_state_dict, set_peft_model_state_dict
    from sleeptrain.core import seed_everything
    from sleeptrain.models import load_lm, tiny_lm
    from sleeptrain.sleep import SleepConfig, add_lora, train_lora, teacher_pairs, rehearsal_pairs
    from sleeptrain.evaluation import record_references, model_view, ask as ask_sets, evaluate
    from sleeptrain.teacher import TemplateTeacher
    from sleeptrain.world import make_facts, chance_level
    from sleeptrain.share import ShareSubspace, ShareConfig, trainable_parameters

    t0 = time.time()
    seed_everything(a.seed)
    base, tok = tiny_lm(seed=a.seed) if a.model == "tiny" else load_lm(a.model)
    cfg = SleepConfig(
        rank=a.rank, alpha=2 * a.rank, epochs=a.epochs, replay_ratio=0.0, self_distill=False, kl_weight=0.0, seed=a.seed
    )
    rc = SleepConfig()  # the agent's default replay mix (on-top scheme)
    items = make_facts((a.days + 1) * a.facts, seed=a.seed)
    day_items = [items[d * a.facts : (d + 1) * a.facts] for d in range(a.days + 1)]  # the last day is the "new day"
    probes = [[(q, it.answer) for it in day for q in it.probes[:2]] for day in day_items]
    refs = record_references(base, tok)        # the locality set and base perplexity, as the agent's gates use them

    def ask(model, qs):
        "Recall of `model` on the (question, answer) pairs `qs`."
        return ask_sets(model_view(model, tok, max_new_tokens=24).answer, {"facts": qs})[0]["facts"]

    res = {
        "days": a.days,
        "facts_per_day": a.facts,
        "seed": a.seed,
        "model": a.model or "default",
        "epochs": a.epochs,
        "rank": a.rank,
        "weight": a.w,
        "chance_level": chance_level(items),
        "base_recall": [ask(base, p) for p in probes[: a.days]],
        "n_locality": len(refs.locality),
        "base_ppl": refs.ppl,
    }

    day_pairs = [teacher_pairs(TemplateTeacher(), [it.statement for it in day]) for day in day_items]

    def train_day(d, model=None, lr=None, replay=False):
        """A fresh adapter (or the given model) trained on day d's facts (at learning rate `lr`, default the LoRA's),
        alone or with the earlier days' facts rehearsed as the agent's sleep rehearses them (seeded).
        Returns (trained model, seconds)."""
        pm = model if model is not None else add_lora(base, cfg)
        pairs, old = list(day_pairs[d]), [it.statement for e in range(d) for it in day_items[e]]
        # SleepConfig's replay: at most replay_ratio old facts per new one, replay_pairs of each one's pairs
        if replay and old:
            rng = random.Random(a.seed * 1000 + d)
            old = rng.sample(old, min(len(old), math.ceil(rc.replay_ratio * len(day_items[d]))))
            pairs += rehearsal_pairs(TemplateTeacher(), old, rc.replay_pairs, rng)
        ts = time.time()
        train_lora(pm, tok, pairs, cfg if lr is None else replace(cfg, lr=lr), desc=f"day {d + 1}")
        return pm, time.time() - ts

    adapters, seconds, separate = [], [], []
    for d in range(a.days):
        pm, s = train_day(d)
        adapters.append(
            (
                {k: v.detach().clone() for k, v in get_peft_model_state_dict(pm).items()},
                pm.peft_config["default"].to_dict(),
            )
        )
        separate.append(ask(pm, probes[d]))
        seconds.append(s)
        base = pm.unload()
        print(f"day {d + 1}: trained in {s:.0f}s, own adapter recall {separate[-1]:.3f}", flush=True)
    sep_params = sum(v.numel() for v in adapters[0][0].values()) * a.days
    res["separate"] = {
        "recall_by_day": separate,
        "recall": sum(separate) / a.days,
        "stored_params": sep_params,
        "train_seconds": seconds,
    }

    def judge(name, model, extra):
        "Recall of every day's facts with one model, plus its damage (locality, perplexity drift)."
        days = {f"day {d + 1}": p for d, p in enumerate(probes[: a.days])}
        facts, _ = ask_sets(model_view(model, tok, max_new_tokens=24).answer, days)
        damage = evaluate({"": model_view(model, tok)}, refs)   # at the references' answer length
        by_day = [facts[name] for name in days]
        row = {
            "recall_by_day": by_day,
            "recall": sum(by_day) / a.days,
            "locality": damage["locality"],
            "ppl_drift": damage["ppl_drift"],
            **extra,
        }
        row["recall_vs_separate"] = row["recall"] / res["separate"]["recall"] if res["separate"]["recall"] else None
        print(
            f"{name:<18} recall {row['recall']:.3f} ({row['recall_vs_separate'] or 0:.2f}x separate), locality "
            f"{row['locality'] or 0:.3f}, "
            f"ppl drift {row['ppl_drift']:+.3f}, stored {row.get('stored_params', '-')}",
            flush=True,
        )
        return row

    res["share"] = {}
    for ev in a.variance:
        sub = ShareSubspace.from_adapters(adapters, explained_variance=ev)
        st = sub.stats()
        model = sub.merged_model(base, weights=[a.w] * a.days)
        res["share"][str(ev)] = judge(
            f"share ev={ev}",
            model,
            {
                "stored_params": st["coefficient_params"],
                "basis_params": st["basis_params"],
                "stored_with_basis": st["coefficient_params"] + st["basis_params"],
                "ratio_without_basis": st["ratio_without_basis"],
                "ratio_with_basis": st["ratio_with_basis"],
                "max_error": max(sub.errors),
                "mean_error": sum(sub.errors) / len(sub.errors),
                "merged_rank": model.peft_config["default"].r,
                "k_mean": sum(ka + kb for ka, kb in st["k"].values()) / (2 * len(st["k"])),
            },
        )
        base = model.unload()

    res["peft"], res["peft_errors"] = {}, {}  # a merge that raised: its recall None, its error in res["peft_errors"]
    pm = PeftModel(base, cfg.lora_config(), adapter_name="day0")
    set_peft_model_state_dict(pm, adapters[0][0], adapter_name="day0")
    for i, (sd, _) in enumerate(adapters[1:], 1):
        pm.add_adapter(f"day{i}", cfg.lora_config())
        set_peft_model_state_dict(pm, sd, adapter_name=f"day{i}")
    names = [f"day{i}" for i in range(a.days)]
    for kind, kw in (("cat", {}), ("linear", {}), ("ties", {"density": 0.5}), ("svd", {"svd_rank": a.rank})):
        try:
            pm.add_weighted_adapter(names, [a.w] * a.days, f"m_{kind}", combination_type=kind, **kw)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            res["peft"][kind] = {"recall": None, "error": error}
            res["peft_errors"][kind] = error
            print(f"peft {kind} merge failed: {error}", flush=True)
            continue
        pm.set_adapter(f"m_{kind}")
        n = sum(v.numel() for k, v in get_peft_model_state_dict(pm, adapter_name=f"m_{kind}").items())
        res["peft"][kind] = judge(f"peft {kind}", pm, {"stored_params": sep_params, "merged_params": n})
    base = pm.unload()
    best_peft = max((v["recall"] for v in res["peft"].values() if v["recall"] is not None), default=None)

    # the agent's scheme: each day learnt on top of the merged earlier days (frozen), with the earlier days' facts
    # rehearsed beside the new ones as the agent's sleep rehearses them (replay_pairs of each), then absorbed
    # (ShareConfig defaults)
    sc = ShareConfig()
    top, modes, ts = sc.fit([adapters[0]]), ["lora"], time.time()
    for d in range(1, a.days):
        coef = len(top) >= sc.free_days
        pm = top.coefficient_model(
            base,
            p=sc.p if coef else a.rank,
            phi=min(sc.phi, top.max_phi()),
            seed=a.seed + d,
            on_top=True,
            coefficients=coef,
        )
        pm, _ = train_day(d, pm, lr=sc.lr if coef else None, replay=True)
        top = top.absorb(top.finish_adapter(pm))
        modes.append("coefficients" if coef else "free")
        base = pm.unload()
    st = top.stats()
    model = top.merged_model(base)
    res["share_on_top"] = judge(
        "share on top",
        model,
        {
            "modes": modes,
            "explained_variance": sc.explained_variance,
            "replay": {"ratio": rc.replay_ratio, "pairs": rc.replay_pairs},
            "train_seconds": time.time() - ts,
            "stored_params": st["coefficient_params"],
            "basis_params": st["basis_params"],
            "ratio_without_basis": st["ratio_without_basis"],
            "ratio_with_basis": st["ratio_with_basis"],
            "max_error": max(top.errors),
            "merged_rank": model.peft_config["default"].r,
        },
    )
    base = model.unload()

    # a new day: Share coefficients only (basis of the default variance frozen) vs a full LoRA, same data and schedule
    sub = ShareSubspace.from_adapters(adapters, explained_variance=a.variance[len(a.variance) // 2])
    coef = sub.coefficient_model(base, p=a.p, phi=min(a.phi, sub.max_phi()), seed=a.seed)
    coef, s_coef = train_day(a.days, coef, lr=ShareConfig().lr)
    row_coef = {"seconds": s_coef, "trainable_params": trainable_parameters(coef), "recall": ask(coef, probes[a.days])}
    base = coef.unload()
    full, s_full = train_day(a.days)
    row_full = {"seconds": s_full, "trainable_params": trainable_parameters(full), "recall": ask(full, probes[a.days])}
    base = full.unload()
    res["new_day"] = {
        "coefficients": row_coef
        | {
            "lr": ShareConfig().lr,
            "p": a.p,
            "phi": min(a.phi, sub.max_phi()),
            "explained_variance": sub.explained_variance,
        },
        "full_lora": row_full,
        "trainable_ratio": row_full["trainable_params"] / row_coef["trainable_params"],
        "recall_ratio": row_coef["recall"] / row_full["recall"] if row_full["recall"] else None,
    }
    print(
        f"new day: coefficients p={a.p} recall {row_coef['recall']:.3f} ({row_coef['trainable_params']} trainable, "
        f"{s_coef:.0f}s) vs "
        f"full LoRA {row_full['recall']:.3f} ({row_full['trainable_params']} trainable, {s_full:.0f}s)"
    )

    rows = {**{f"share ev={ev}": r for ev, r in res["share"].items()}, "share on top": res["share_on_top"]}
    res["targets"] = {
        name: {
            "keeps_95pct_recall": (r["recall_vs_separate"] or 0) >= 0.95,
            "stores_20x_fewer": r["ratio_without_basis"] >= 20,
            "beats_best_peft_merge": best_peft is not None and r["recall"] > best_peft,
        }
        for name, r in rows.items()
    }
    res["total_seconds"] = time.time() - t0
    print(
        "targets (recall >= 95% of separate, >= 20x fewer stored params without the basis, beats the best PEFT merge):"
    )
    for name, t in res["targets"].items():
        print(f"  {name}: {t}")
    from sleeptrain.core import atomic_write_text, provenance

    res["provenance"] = provenance(["python", "bench/share.py", *(sys.argv[1:] if argv is None else argv)])
    line = json.dumps(res)
    if a.json:
        atomic_write_text(a.json, line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
