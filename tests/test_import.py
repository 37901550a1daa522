"""Issue 28: every published DeepLense layout, read by the commands a user runs. For each file layout a release folder
(class folders no_sub, cdm, axion, no split folders) is generated, imported with `darksub import`, validated, and
evaluated and predicted both as imported and as it is; the probabilities must not depend on the layout."""
from __future__ import annotations
import csv, json
from pathlib import Path
import numpy as np
import pytest
from conftest import run_cli, run_inproc

LAYOUTS = ('image', 'flat', 'label_row', 'object_rows', 'image_mass')


@pytest.fixture(scope='module')
def releases(tmp_path_factory) -> dict:
    "{file layout: release folder} holding the same 6 images per class in each layout."
    from darksub.ingest import write_in_layout
    t = tmp_path_factory.mktemp('releases')
    rng = np.random.default_rng(0)
    images = {c: (rng.random((6, 1, 32, 32)) * (0.4 + 0.3 * k)).astype(np.float32) for k, c in enumerate(('no', 'sphere', 'vort'))}
    return {lay: write_in_layout(t/lay, images, lay) for lay in LAYOUTS}


def _pickle(lay): return ['--allow-pickle'] if lay in ('object_rows', 'image_mass') else []


@pytest.mark.parametrize('layout', LAYOUTS)
def test_import_each_layout(layout, releases, checkpoint, tmp_path):
    src, dest = releases[layout], tmp_path/'imported'
    r = run_inproc('import', src, dest, '--fractions', '0.5', '0.17', '0.33', *_pickle(layout))
    assert r.returncode == 0, r.stderr
    assert 'class folders read as: axion -> vort, cdm -> sphere, no_sub -> no' in r.stdout
    man = json.loads((dest/'manifest.json').read_text())
    assert man['counts'] == {'train': {c: 3 for c in ('no', 'sphere', 'vort')}, 'val': {c: 1 for c in ('no', 'sphere', 'vort')},
                             'test': {c: 2 for c in ('no', 'sphere', 'vort')}}
    assert run_inproc('validate', dest).returncode == 0
    ev = run_inproc('evaluate', dest, '--checkpoint', checkpoint, '--device', 'cpu', '--n-boot', '0')
    assert ev.returncode == 0, ev.stderr
    m = json.loads(ev.stdout)
    assert (m['split'], m['n'], m['class_folders']) == ('test', 6, {'no': 'no', 'sphere': 'sphere', 'vort': 'vort'})
    raw = run_inproc('evaluate', src, '--split', 'all', '--checkpoint', checkpoint, '--device', 'cpu', '--n-boot', '0', *_pickle(layout))
    assert raw.returncode == 0, raw.stderr
    assert 'class folders read as: axion -> vort' in raw.stderr
    assert json.loads(raw.stdout)['class_folders'] == {'axion': 'vort', 'cdm': 'sphere', 'no_sub': 'no'}


def test_predictions_do_not_depend_on_layout(releases, checkpoint, tmp_path):
    probs = {}
    for lay in LAYOUTS:
        out = tmp_path/f'{lay}.csv'
        r = run_inproc('predict', releases[lay], '--checkpoint', checkpoint, '--device', 'cpu', '--out', out, *_pickle(lay))
        assert r.returncode == 0, r.stderr
        lines = out.read_text().splitlines()
        assert lines[0] == '# class folders read as: axion -> vort, cdm -> sphere, no_sub -> no'
        rows = list(csv.DictReader(lines[1:]))
        assert [r['label'] for r in rows] == ['vort'] * 6 + ['sphere'] * 6 + ['no'] * 6
        probs[lay] = np.array([[float(r[f'p_{c}']) for c in ('no', 'sphere', 'vort')] for r in rows])
    for lay in LAYOUTS: np.testing.assert_allclose(probs[lay], probs['image'], atol=1e-5)


def test_import_command_fresh_process(releases, tmp_path):
    "The console script, as the README runs it: a pickled release refused without --allow-pickle, imported with it."
    src = releases['image_mass']
    r = run_cli('import', src, tmp_path/'d', '--fractions', '0.5', '0.17', '0.33')
    assert r.returncode == 2 and 'refusing to load' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path/'d').exists()
    r = run_cli('import', src, tmp_path/'d', '--fractions', '0.5', '0.17', '0.33', '--allow-pickle')
    assert r.returncode == 0, r.stderr
    assert 'MiB to write' in r.stdout and '18 images ->' in r.stdout, r.stdout
