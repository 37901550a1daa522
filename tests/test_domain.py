"""Issue 29: the input boundary and the domain check, as a user meets them through `darksub predict` with the default
(shipped) model. Every careless variant of a simulated lens is refused (status 2, one line naming the file and the
check) or flagged out of domain; fresh lenses of the model's own presets are flagged less than 1 % of the time; and
`darksub train --init` starts from the shipped weights and trains."""
from __future__ import annotations
import csv, json
from pathlib import Path
import numpy as np
import pytest
import torch
from conftest import make_dataset, run_cli, run_inproc


@pytest.fixture(scope='module')
def lens():
    from darksub.simulate import simulate_lenses
    return simulate_lenses('vort', 1, seed=12345)[0][0].numpy()  # (1, 150, 150) in [0, 1]


def _variants(lens):
    from darksub.preprocess import resize
    up = resize(torch.from_numpy(lens), (300, 300), 'bilinear').numpy()
    down = resize(torch.from_numpy(lens), (64, 64), 'area').numpy()
    return {  # name: (array, extra predict args, 'refused' check text or 'flagged')
        'uint8': (np.round(lens * 255).astype(np.uint8), [], 'holds uint8 pixels'),
        'int16': (np.round(lens * 1000).astype(np.int16), [], 'holds int16 pixels'),
        'uint16': (np.round(lens * 60000).astype(np.uint16), [], 'holds uint16 pixels'),
        'counts': (lens.astype(np.float64) * 3000, [], 'but the model was trained on images in [0, 1]'),
        'negated': (-lens, [], 'but the model was trained on images in [0, 1]'),
        'negated_minmax': (-lens, ['--scale', 'minmax'], 'flagged'),
        'constant': (np.full_like(lens, 0.4), [], 'is a constant image'),
        'up300': (up, [], 'is 300x300 pixels but the model was trained on 150x150'),
        'up300_resize': (up, ['--resize'], 'flagged'),
        'down64': (down, [], 'is 64x64 pixels but the model was trained on 150x150'),
        'down64_resize': (down, ['--resize'], 'flagged'),
        'tiny': (lens[:, :2, :2], ['--resize'], 'too small to hold a lens'),
    }


@pytest.mark.parametrize('name', list(_variants(np.zeros((1, 150, 150), np.float32))))
def test_careless_variant_refused_or_flagged(name, lens, tmp_path):
    arr, extra, expect = _variants(lens)[name]
    f = tmp_path/f'{name}.npy'; np.save(f, arr)
    r = run_inproc('predict', f, '--out', tmp_path/'p.csv', '--device', 'cpu', *extra)
    if expect == 'flagged':
        assert r.returncode == 0, r.stderr
        row = next(csv.DictReader(open(tmp_path/'p.csv')))
        assert row['in_domain'] == 'false' and float(row['domain_score']) > 1, row
        assert "1 of 1 image(s) outside the model's domain" in r.stderr, r.stderr
    else:
        assert r.returncode == 2, (r.stdout, r.stderr)
        err = r.stderr.strip()
        assert len(err.splitlines()) == 1 and expect in err and str(f) in err, err
        assert not (tmp_path/'p.csv').exists()


def test_scaled_lens_is_in_domain(lens, tmp_path):
    f = tmp_path/'u8.npy'; np.save(f, np.round(lens * 255).astype(np.uint8))
    r = run_inproc('predict', f, '--out', tmp_path/'p.csv', '--device', 'cpu', '--scale', '255')
    assert r.returncode == 0, r.stderr
    assert next(csv.DictReader(open(tmp_path/'p.csv')))['in_domain'] == 'true'


@pytest.mark.parametrize('preset', ['model_i', 'model_i_varied'])
def test_false_alarms_under_one_percent(preset):
    "300 fresh lenses of each preset the default model was trained on, against its shipped domain (seeds unused elsewhere)."
    from darksub.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
    from darksub.domain import domain_scores
    from darksub.simulate import CLASSES, simulate_lenses
    dom = load_checkpoint(DEFAULT_CHECKPOINT)[1]['domain']
    imgs = np.concatenate([simulate_lenses(c, 100, seed=424242 + k, config=preset)[0].numpy() for k, c in enumerate(CLASSES)])
    score, _ = domain_scores(imgs, dom)
    assert (score > 1).mean() < 0.01, (score > 1).sum()


def test_init_from_shipped_weights(tmp_path):
    ds = make_dataset(tmp_path/'ds', {'train': 12, 'val': 4}, hw=(150, 150))
    r = run_inproc('train', '--model', 'crop_resnet_d4', '--init', 'crop_resnet_d4_varied', '--data', ds, '--out', tmp_path/'run',
                   '--epochs', '1', '--batch-size', '12', '--device', 'cpu', '--quiet')
    assert r.returncode == 0, r.stderr
    side = json.loads((tmp_path/'run'/'best.json').read_text())
    assert side['train_config']['init'] == 'crop_resnet_d4_varied' and side['domain']['image_shape'] == [1, 150, 150]
