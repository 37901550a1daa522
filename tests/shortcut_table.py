"""Print the README table of shortcut baselines and the shipped model on model_i and model_i_varied test sets.

    .venv/bin/python tests/shortcut_table.py N_PER_CLASS WORK_DIR     (README: N_PER_CLASS 300; 153 s on the 2-core CPU)

The test sets are simulated into WORK_DIR (model_i train+test, seed 101; model_i_varied test, seed 202) and scored
as 03_Model/05_compare_models.ipynb does."""
import sys, time, json, torch
from pathlib import Path
from darksub.datasets import write_dataset
from darksub.experiments import first_per_class, shortcut_baseline, preset_table
from darksub.evaluate import evaluate_checkpoint
if __name__ == '__main__':
    torch.set_num_threads(2)
    N, root = int(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    write_dataset(root/'mi', {'train': N, 'test': N}, seed=101, config='model_i', reuse=True, progress=False)
    write_dataset(root/'mv', {'test': N}, seed=202, config='model_i_varied', reuse=True, progress=False)
    x, y, cl = first_per_class(root/'mi', 'train', N)
    tests = {'model_i': first_per_class(root/'mi', 'test', N)[:2], 'model_i_varied': first_per_class(root/'mv', 'test', N)[:2]}
    res = {}
    for name, b in (('Einstein radius only', 'theta_E'), ('ring statistics', 'ring')):
        t1 = time.perf_counter(); res[f'baseline: {name}'] = shortcut_baseline(b, x, y, tests, cl, n_boot=1000, seed=0)
        print(f'{name}: {time.perf_counter() - t1:.0f} s', file=sys.stderr)
    res['shipped crop_resnet_d4'] = {k: evaluate_checkpoint('crop_resnet_d4', root/d, 'test', device='cpu', n_boot=1000, seed=0)[0]
                                     for k, d in (('model_i', 'mi'), ('model_i_varied', 'mv'))}
    print(preset_table(res))
    for n, r in res.items(): print(n, {k: {c: round(v, 3) for c, v in m['auc_per_class'].items()} for k, m in r.items()})
    print(f'{N} images per class in each set; {time.perf_counter() - t0:.0f} s in all')
    