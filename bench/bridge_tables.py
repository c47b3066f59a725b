#!/usr/bin/python3
"""bridge_tables.py — Markdown tables from the JSON files that
bench/run-bridge-results.sh writes (one `earshot eval --cv --json` each)."""
import json
import pathlib
import sys


def ms(method, key):
    v = method[key]
    return f"{v['mean']:.3f} ± {v['std']:.3f}"


def row(name, j):
    m = j["methods"]
    b, q, u, c = m["bridge f32"], m["bridge int8"], m["untrained"], m["centroid"]
    return (f"| {name} | {ms(b, 't2a_map10')} | {ms(b, 't2a_r1')} | "
            f"{ms(b, 't2a_r10')} | {ms(b, 'label_acc')} | "
            f"{q['t2a_map10']['mean']:.3f} | {ms(b, 'queries_map10')} | "
            f"{b['queries_r10']['mean']:.3f} | {j['train_seconds_mean']:.1f} |")


HEAD = ("| run | mAP@10 | R@1 | R@10 | label acc | int8 mAP@10 | "
        "paraphrase mAP@10 | paraphrase R@10 | train s/fold |\n"
        "|---|---|---|---|---|---|---|---|---|")


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bridge-results")
    runs = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}
    grid = [k for k in runs if not k.startswith("aug-")]
    aug = [k for k in runs if k.startswith("aug-")]
    print("### Feature set × loss × head (5-fold CV, mean ± std)\n")
    print(HEAD)
    for k in grid:
        print(row(k, runs[k]))
    if grid:
        j = runs[grid[0]]["methods"]
        print("\n### Baselines (same folds)\n")
        print("| baseline | features | mAP@10 | R@1 | R@10 | label acc | paraphrase mAP@10 |")
        print("|---|---|---|---|---|---|---|")
        for k in grid:
            if not k.endswith("mse-tanh"):
                continue
            for name in ("untrained", "centroid"):
                m = runs[k]["methods"][name]
                print(f"| {name} | {runs[k]['features']} | {ms(m, 't2a_map10')} | "
                      f"{ms(m, 't2a_r1')} | {ms(m, 't2a_r10')} | "
                      f"{ms(m, 'label_acc')} | {ms(m, 'queries_map10')} |")
    if aug:
        print("\n### Augmentation (full features, cosine, l2; 4 copies per clip)\n")
        print(HEAD)
        base = "full-cosine-l2"
        if base in runs:
            print(row("none", runs[base]))
        for k in aug:
            print(row(k[4:], runs[k]))


if __name__ == "__main__":
    main()
