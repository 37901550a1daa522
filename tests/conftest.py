"""Shared helpers of the process-level tests: run `darksub` as a user would, small datasets and checkpoints."""
from __future__ import annotations
import contextlib, hashlib, io, json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')

# hypothesis profiles of tests/test_properties.py: `ci` (the default) generates the same cases every run and writes no
# example database; `long` (DARKSUB_HYPOTHESIS=long) generates ten times as many new ones and keeps failures in .hypothesis/.
from hypothesis import HealthCheck, settings
settings.register_profile('ci', deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
settings.register_profile('long', deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get('DARKSUB_HYPOTHESIS', 'ci'))
if os.environ.get('DARKSUB_HYPOTHESIS') == 'long': os.environ.setdefault('DARKSUB_HYPOTHESIS_FACTOR', '10')


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', MPLBACKEND='Agg', PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])])  # this checkout's darksub
    return env


def darksub_cmd() -> list[str]:
    "The installed console script beside this interpreter, else the same entry point through `python -c`."
    script = Path(sys.executable).parent/'darksub'
    if script.exists(): return [str(script)]
    return [sys.executable, '-c', 'import sys; from darksub.cli import main; sys.exit(main())']


def run_cli(*args, cwd=None, timeout=300, **kw) -> subprocess.CompletedProcess:
    "Run `darksub ARGS` in a fresh process; returns the completed process (text stdout/stderr)."
    return subprocess.run([*darksub_cmd(), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=_env(), timeout=timeout, **kw)


def popen_cli(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([*darksub_cmd(), *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(), **kw)


def run_inproc(*args) -> subprocess.CompletedProcess:
    "Run `darksub ARGS` through `darksub.cli.main` in this process (same parsing and error handling, no start-up cost)."
    from darksub.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return subprocess.CompletedProcess(['darksub', *map(str, args)], rc, out.getvalue(), err.getvalue())


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_digest(root) -> dict:
    "{relative path: sha256} of every file under `root` (hidden temporary files included)."
    root = Path(root)
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(root.rglob('*')) if p.is_file()}


def make_dataset(root, counts={'train': 2, 'val': 2}, classes=('no', 'sphere', 'vort'), hw=(32, 32), seed=0) -> Path:
    "A small valid dataset ROOT/{split}/{class}/{i}.npy of (1, H, W) float32 images in [0, 1]."
    rng = np.random.default_rng(seed)
    root = Path(root)
    for split, n in counts.items():
        for c in classes:
            d = root/split/c; d.mkdir(parents=True, exist_ok=True)
            for i in range(n): np.save(d/f'{i}.npy', rng.random((1, *hw), dtype=np.float32))
    return root


@pytest.fixture(scope='session')
def checkpoint(tmp_path_factory) -> Path:
    "An untrained 3-class crop_resnet_d4 checkpoint (safetensors + JSON sidecar) for classes no, sphere, vort."
    import torch
    from darksub.models import create_model
    from darksub.checkpoint import save_checkpoint
    torch.manual_seed(0)
    m = create_model('crop_resnet_d4', num_classes=3)
    m.darksub_cfg['img_size'] = 32
    return save_checkpoint(m, tmp_path_factory.mktemp('ckpt')/'model.safetensors', {'classes': ['no', 'sphere', 'vort']})
