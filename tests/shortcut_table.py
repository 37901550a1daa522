"""Print the README table: the shortcut baselines, the Model I model and the default model on model_i and model_i_varied test sets.

    .venv/bin/python tests/shortcut_table.py N_PER_CLASS WORK_DIR [--json OUT.json]

The sets are simulated into WORK_DIR with seeds no model was trained on: model_i train+test (seed 101),
model_i_varied train+test (seed 202). Each baseline (a logistic regression on the fitted Einstein radius, or on
the ring's radius, width and contrast) is trained once on each preset's train split and scored on both test
splits, as 03_Model/05_compare_models.ipynb does; the two shipped models are scored on the same test splits."""
import argparse, json, sys, time, torch
from pathlib import Path
from darksub.core import jsonable, write_json
from darksub.datasets import write_dataset
from darksub.experiments import first_per_class, shortcut_baseline, preset_table
from darksub.evaluate import evaluate_checkpoint
from darksub.checkpoint import DEFAULT_CHECKPOINT

SETS = {'model_i': ('mi', 101), 'model_i_varied': ('mv', 202)}  # preset -> (folder in WORK_DIR, seed)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('n', type=int); ap.add_argument('root', type=Path); ap.add_argument('--json', type=Path, default=None)
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    for preset, (d, seed) in SETS.items():
        write_dataset(a.root/d, {'train': a.n, 'test': a.n}, seed=seed, config=preset, reuse=True, progress=False)
    tests = {p: first_per_class(a.root/d, 'test', a.n)[:2] for p, (d, _) in SETS.items()}
    res = {}
    for preset, (d, _) in SETS.items():
        x, y, cl = first_per_class(a.root/d, 'train', a.n)
        for name, b in (('Einstein radius only', 'theta_E'), ('ring statistics', 'ring')):
            t1 = time.perf_counter(); res[f'baseline: {name}, trained on `{preset}`'] = shortcut_baseline(b, x, y, tests, cl, n_boot=1000, seed=0)
            print(f'{name} trained on {preset}: {time.perf_counter() - t1:.0f} s', file=sys.stderr, flush=True)
    for ck, label in (('crop_resnet_d4', 'Model I model `crop_resnet_d4`'), (DEFAULT_CHECKPOINT, f'default model `{DEFAULT_CHECKPOINT}`')):
        res[label] = {p: evaluate_checkpoint(ck, a.root/d, 'test', device='cpu', n_boot=1000, seed=0)[0] for p, (d, _) in SETS.items()}
    print(preset_table(res))
    for n, r in res.items(): print(n, {k: {c: round(v, 3) for c, v in m['auc_per_class'].items()} for k, m in r.items()})
    print(f'{a.n} images per class in each set; {time.perf_counter() - t0:.0f} s in all')
    if a.json: write_json(a.json, jsonable({n: {k: {q: m[q] for q in ('accuracy', 'auc_ovr_macro', 'auc_per_class', 'ci95', 'n')}
                                                 for k, m in r.items()} for n, r in res.items()}))
