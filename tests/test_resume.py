"""Issue 7, parts 4 and 5: killed work resumes to the same bytes, and the same seed gives the same data and metrics.

The kill moment is random but reproducible: DARKSUB_KILL_SEED (default: a fresh seed, printed in the failure message)."""
from __future__ import annotations
import json, os, random, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from conftest import make_dataset, popen_cli, run_cli, run_inproc, sha256, tree_digest

KILL_SEED = int(os.environ.get('DARKSUB_KILL_SEED', random.SystemRandom().randrange(2**31)))

TRAIN = ['train', '--model', 'crop_resnet_d4', '--epochs', '6', '--batch-size', '6', '--patience', '0', '--seed', '3',
         '--device', 'cpu', '--threads', '1', '--quiet']


def _kill_when(p: subprocess.Popen, ready, delay: float, timeout: float = 120) -> bool:
    "SIGKILL `p` `delay` seconds after `ready()` first holds; False when it exited before that."
    t0 = time.time()
    while not ready():
        if p.poll() is not None or time.time() - t0 > timeout: return False
        time.sleep(0.005)
    time.sleep(delay)
    if p.poll() is not None: return False
    p.send_signal(signal.SIGKILL); p.wait()
    return True


def _tensors(path):
    from safetensors.torch import load_file
    return load_file(str(path))


def test_train_sigkill_resume_bit_identical(tmp_path):
    rng = np.random.default_rng(KILL_SEED)
    ds = make_dataset(tmp_path/'ds', {'train': 4, 'val': 2}, seed=1)
    ref = run_cli(*TRAIN, '--data', ds, '--out', tmp_path/'ref')
    assert ref.returncode == 0, ref.stderr
    out = tmp_path/'run'
    p = popen_cli(*TRAIN, '--data', ds, '--out', out)
    killed = _kill_when(p, lambda: (out/'last_state.safetensors').exists(), float(rng.uniform(0, 0.5)))
    assert killed, f'train finished before the kill (kill seed {KILL_SEED})'
    epochs_done = len((out/'history.csv').read_text().splitlines()) - 1 if (out/'history.csv').exists() else 0
    assert not list(out.glob('*.part')) or killed  # temporary files exist only while a write is in flight
    for f in out.glob('*.safetensors'): _tensors(f)  # whatever the kill left is complete
    r = run_cli(*TRAIN, '--data', ds, '--out', out, '--resume')
    assert r.returncode == 0, r.stderr
    assert not list(out.glob('.*.part')), list(out.glob('.*.part'))
    a, b = _tensors(tmp_path/'ref'/'last.safetensors'), _tensors(out/'last.safetensors')
    assert a.keys() == b.keys()
    for k in a: assert a[k].dtype == b[k].dtype and bool((a[k] == b[k]).all()), f'{k} differs (kill seed {KILL_SEED}, killed={killed}, after {epochs_done} epochs)'
    assert (tmp_path/'ref'/'history.csv').read_text().splitlines()[0] == (out/'history.csv').read_text().splitlines()[0]
    # the finished run is not overwritten by a second run without --resume
    before = tree_digest(out)
    again = run_inproc(*TRAIN, '--data', ds, '--out', out)
    assert again.returncode == 2 and 'already holds a training run: resume it (--resume)' in again.stderr, again.stderr
    assert tree_digest(out) == before


def test_simulate_sigkill_resume_same_manifest(tmp_path):
    from darksub.io import load_npy
    from darksub.datasets import write_dataset
    rng = np.random.default_rng(KILL_SEED + 1)
    n = 60
    args = ['simulate', tmp_path/'ds', '--n-per-class', f'train={n}', '--seed', '3', '--batch-size', '5', '--no-progress']
    target = int(rng.integers(1, 3 * n))
    p = popen_cli(*args)
    killed = _kill_when(p, lambda: sum(1 for _ in (tmp_path/'ds').rglob('*.npy')) >= target, 0.0)
    assert killed, f'simulate finished before {target} files were written (kill seed {KILL_SEED})'
    assert not (tmp_path/'ds'/'manifest.json').exists()
    for f in (tmp_path/'ds').rglob('*.npy'): load_npy(f)  # no half-written image under a real name
    r = run_cli(*args)
    assert r.returncode == 0 and 'resumed' in r.stdout, (r.stdout, r.stderr)
    assert not [f for f in (tmp_path/'ds').rglob('*') if f.name.endswith('.part')]
    ref = write_dataset(tmp_path/'ref', {'train': n}, seed=3, batch_size=5, progress=False)
    assert json.loads((tmp_path/'ds'/'manifest.json').read_text())['sha256'] == ref['sha256'], f'kill seed {KILL_SEED}'


def test_same_seed_same_dataset_bytes(tmp_path):
    from darksub.datasets import write_dataset
    m1 = write_dataset(tmp_path/'a', {'train': 4, 'val': 2}, seed=11, batch_size=3, progress=False)
    m2 = write_dataset(tmp_path/'b', {'train': 4, 'val': 2}, seed=11, batch_size=4, progress=False)
    assert m1['sha256'] == m2['sha256']
    strip = lambda d: {k: v for k, v in d.items() if not k.startswith('truth/')}
    assert strip(tree_digest(tmp_path/'a')).keys() - {'manifest.json'} == strip(tree_digest(tmp_path/'b')).keys() - {'manifest.json'}
    for k, v in tree_digest(tmp_path/'a').items():
        if k.endswith('.npy'): assert tree_digest(tmp_path/'b')[k] == v, k
    m3 = write_dataset(tmp_path/'c', {'train': 4, 'val': 2}, seed=12, batch_size=3, progress=False)
    assert m3['sha256'] != m1['sha256']


def test_same_seed_same_metrics(tmp_path):
    import torch
    from darksub.datasets import LensDataset
    from darksub.train import TrainConfig, fit
    ds = make_dataset(tmp_path/'ds', {'train': 4, 'val': 2}, seed=2)
    torch.set_num_threads(1)
    cfg = TrainConfig(model='crop_resnet_d4', epochs=2, batch_size=6, patience=0, seed=5, device='cpu')
    runs = [fit(cfg, LensDataset(ds, 'train'), LensDataset(ds, 'val'), out_dir=tmp_path/f'r{i}', progress=False, log=lambda *a: None)
            for i in range(2)]
    strip = lambda h: [{k: v for k, v in r.items() if 'seconds' not in k and 'per_s' not in k} for r in h]
    assert strip(runs[0]['history']) == strip(runs[1]['history'])
    # the tensors, not the file bytes: safetensors writes its metadata header in hash-map order, which can differ between saves
    a, b = _tensors(tmp_path/'r0'/'last.safetensors'), _tensors(tmp_path/'r1'/'last.safetensors')
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_pipeline_from_skips_earlier_notebooks(tmp_path, monkeypatch):
    "`--from NN` starts at that notebook, keeps the earlier ones' summary entries and executes none of them."
    import nbformat, papermill
    import darksub.pipeline as pl
    for rel in ('01_a/01_first.ipynb', '02_b/01_second.ipynb', '03_c/01_third.ipynb'):
        nb = nbformat.v4.new_notebook(); nb.metadata['kernelspec'] = {'name': 'darksub', 'display_name': 'darksub', 'language': 'python'}; nb.cells = [nbformat.v4.new_code_cell('SEED = 0', metadata={'tags': ['parameters']})]
        (tmp_path/rel).parent.mkdir(parents=True, exist_ok=True); nbformat.write(nb, tmp_path/rel)
    ran = []
    def fake_execute(src, out, **kw): ran.append(Path(src).relative_to(tmp_path).as_posix()); Path(out).write_text('{}')
    monkeypatch.setattr(papermill, 'execute_notebook', fake_execute)
    monkeypatch.setattr(pl, '_check_kernel', lambda name: None)
    quiet = lambda *a: None
    assert pl.run_pipeline('smoke', root=tmp_path, log=quiet)['status'] == 'ok'
    assert ran == ['01_a/01_first.ipynb', '02_b/01_second.ipynb', '03_c/01_third.ipynb']
    ran.clear()
    s = pl.run_pipeline('smoke', root=tmp_path, start_from='02', log=quiet)
    assert ran == ['02_b/01_second.ipynb', '03_c/01_third.ipynb']
    assert [e['notebook'] for e in s['notebooks']] == ['01_a/01_first.ipynb', '02_b/01_second.ipynb', '03_c/01_third.ipynb']


def test_resources_are_stated_before_starting():
    from darksub.pipeline import estimate_resources, get_profile
    need = {p: estimate_resources(get_profile(p)) for p in ('smoke', 'quick', 'full')}
    assert need['smoke']['disk_gb'] < need['quick']['disk_gb'] <= need['full']['disk_gb']
    assert all(v['memory_gb'] > 0 and v['n_images'] > 0 for v in need.values())
