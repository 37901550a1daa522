"""Print the README rows of the physics classifier: trained on each preset, with and without the fitted Einstein radius, scored on both.

    .venv/bin/python tests/physics_table.py N_TRAIN N_TEST WORK_DIR [--json OUT.json] [--steps 300]

Uses the test sets of tests/shortcut_table.py (WORK_DIR/mi: model_i, seed 101; WORK_DIR/mv: model_i_varied, seed 202;
simulated when missing): the first N_TRAIN images per class of each train split and N_TEST of each test split are fitted
once (`physics_features`, cached in WORK_DIR/physics_<preset>_<split>_<n>.npz, so a killed run resumes) and the
gradient-boosted physics classifier is trained on each preset, with all features and without theta_E, and scored on
both test splits with 1,000 bootstrap resamples."""
import argparse, sys, time, numpy as np, torch
from pathlib import Path
from darksub.core import jsonable, write_json
from darksub.datasets import write_dataset
from darksub.experiments import first_per_class, physics_baseline, physics_features, preset_table

SETS = {'model_i': ('mi', 101), 'model_i_varied': ('mv', 202)}  # as tests/shortcut_table.py

def features(root, preset, split, n, steps):
    "Fitted features and labels of the first n images per class of one split (cached)."
    cache = root/f'physics_{preset}_{split}_{n}_{steps}.npz'
    if cache.is_file():
        d = np.load(cache); return d['f'], d['y'], list(d['classes'])
    x, y, cl = first_per_class(root/SETS[preset][0], split, n)
    t = time.perf_counter(); f = physics_features(x, steps=steps)
    print(f'{preset} {split}: {len(y)} images fitted in {time.perf_counter() - t:.0f} s', file=sys.stderr, flush=True)
    np.savez(cache, f=f, y=y, classes=np.array(cl)); return f, y, cl

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('n_train', type=int); ap.add_argument('n_test', type=int); ap.add_argument('root', type=Path)
    ap.add_argument('--json', type=Path, default=None); ap.add_argument('--steps', type=int, default=300)
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    for preset, (d, seed) in SETS.items():  # the shortcut table's sets when there, else as many images as needed
        if not (a.root/d/'manifest.json').is_file():
            n = max(a.n_train, a.n_test); write_dataset(a.root/d, {'train': n, 'test': n}, seed=seed, config=preset, progress=False)
    tests = {p: features(a.root, p, 'test', a.n_test, a.steps)[:2] for p in SETS}
    res = {}
    for preset in SETS:
        f, y, cl = features(a.root, preset, 'train', a.n_train, a.steps)
        for label, drop in (('all features', ()), ('without theta_E', ('theta_E',))):
            res[f'physics classifier, {label}, trained on `{preset}`'] = physics_baseline(f, y, tests, cl, drop=drop, n_boot=1000, seed=0)
    print(preset_table(res))
    for n, r in res.items(): print(n, {k: {c: round(v, 3) for c, v in m['auc_per_class'].items()} for k, m in r.items()})
    print(f'{a.n_train} training and {a.n_test} test images per class and preset, {a.steps} fit steps; {time.perf_counter() - t0:.0f} s in all')
    if a.json: write_json(a.json, jsonable({n: {k: {q: m[q] for q in ('accuracy', 'auc_ovr_macro', 'auc_per_class', 'ci95', 'n')}
                                                 for k, m in r.items()} for n, r in res.items()}), overwrite=True)
