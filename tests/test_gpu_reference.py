"""Issue 31: `03_Model/gpu_reference.sh` (the seed models at full scale on a GPU) runs end to end. No GPU here, so it
runs on the CPU at a toy size (DEVICE=cpu, 4 training images per class, one epoch): the simulation, both trainings,
the four evaluations and the results file it writes are the same commands as on a GPU."""
from __future__ import annotations
import json, os, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_reference_script_on_cpu(tmp_path):
    darksub = shutil.which('darksub') or str(Path(sys.executable).with_name('darksub'))
    out = tmp_path/'gpu_reference.json'
    env = {**os.environ, 'DEVICE': 'cpu', 'EPOCHS': '1', 'N_TRAIN': '4', 'N_TEST': '2', 'BATCH': '4', 'WORKERS': '0',
           'DARKSUB': darksub, 'PYTHON': sys.executable, 'OUT': str(out)}
    p = subprocess.run(['bash', str(ROOT/'03_Model/gpu_reference.sh'), str(tmp_path/'run')], capture_output=True, text=True,
                       env=env, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r['device'] == 'cpu' and r['command'] == 'bash 03_Model/gpu_reference.sh'
    assert sorted(r['models']) == ['densenet201', 'resnet101v2']
    for m in r['models'].values():
        assert m['train_config']['img_size'] == 150 and m['train_config']['epochs'] == 1
        assert m['images_seen'] == 12  # 3 steps of 4 images: 4 per class, one epoch
        for preset in ('model_i', 'model_i_varied'):
            assert m[preset]['n'] == 6 and 0 <= m[preset]['auc_ovr_macro'] <= 1
    assert 'densenet201: 12 images in' in p.stdout and f'wrote {out}' in p.stdout


def test_gpu_reference_script_refuses_without_cuda(tmp_path):
    import torch
    if torch.cuda.is_available(): return  # the refusal is for machines without a GPU
    p = subprocess.run(['bash', str(ROOT/'03_Model/gpu_reference.sh'), str(tmp_path/'run')], capture_output=True, text=True,
                       env={**os.environ, 'PYTHON': sys.executable}, timeout=120)
    assert p.returncode == 1 and 'needs a CUDA GPU' in p.stderr, (p.returncode, p.stderr)
    assert not (tmp_path/'run').exists()
