"""Plot a `bench/retention.py` result: recall of every day's facts after each sleep, per system, and the damage.
usage: python scripts/plot_retention.py RESULT.json OUT.png"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

res = json.load(open(sys.argv[1]))
systems = res["systems"]
fig, axes = plt.subplots(1, len(systems) + 1, figsize=(4.2 * (len(systems) + 1), 3.6))
for ax, (name, row) in zip(axes, systems.items()):
    R = np.array([[np.nan if x is None else x for x in r] for r in row["R"]], dtype=float)
    R[np.triu_indices_from(R, 1)] = np.nan          # only days already seen
    im = ax.imshow(R, vmin=0, vmax=1, cmap="viridis")
    for i in range(len(R)):
        for j in range(i + 1):
            ax.text(j, i, f"{R[i, j]:.2f}", ha="center", va="center", color="w" if R[i, j] < 0.6 else "k", fontsize=8)
    ax.set_title(f"{name}: ACC {row['acc']:.2f}, BWT {row['bwt']:+.2f}", fontsize=9)
    ax.set_xlabel("facts of day")
    ax.set_ylabel("after sleep of day")
    ax.set_xticks(range(len(R)))
    ax.set_xticklabels(range(1, len(R) + 1))
    ax.set_yticks(range(len(R)))
    ax.set_yticklabels(range(1, len(R) + 1))
ax = axes[-1]
days = range(1, res["days"] + 1)
for name, row in systems.items():
    dmg = row["damage_by_day"]
    ax.plot(days, [d["locality"] for d in dmg], "o-", label=f"{name}: locality")
    if "locality_weights" in dmg[0]:
        ax.plot(days, [d["locality_weights"] for d in dmg], "o--", label=f"{name}: locality, adapter always on")
ax.set_ylim(0, 1.05)
ax.set_xlabel("day")
ax.set_ylabel("base-correct answers kept")
ax.set_title("damage: locality", fontsize=9)
ax.legend(fontsize=7, loc="lower left")
fig.suptitle(
    f"{res['days']} days x {res['facts_per_day']} new facts, one sleep per day (seed {res['seed']})", fontsize=10
)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print("wrote", sys.argv[2])
