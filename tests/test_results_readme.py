"""Issue 33: one source of results. The README's results tables are exactly what `darksub.results` renders from the
committed reference record, `assets/results.json`, and that record comes from a complete reference run that scored
every model on both presets."""
from __future__ import annotations
import json, shutil
from pathlib import Path
from darksub.results import PRESETS_SCORED, render_readme

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT/'assets'/'results.json'


def test_readme_tables_come_from_the_results_file(tmp_path):
    results = json.loads(RESULTS.read_text())
    copy = tmp_path/'README.md'
    shutil.copy(ROOT/'README.md', copy)
    render_readme(copy, results)
    assert copy.read_text() == (ROOT/'README.md').read_text(), \
        "README.md's results tables differ from assets/results.json: rerun the reference profile or render_readme"


def test_results_file_is_a_complete_reference_run():
    results = json.loads(RESULTS.read_text())
    assert results['profile'] == 'reference' and results['status'] == 'ok', (results['profile'], results['status'])
    assert results['models'] and results['preset_scores']
    for name, m in results['models'].items():
        for preset in PRESETS_SCORED:
            s = m['scores'][preset]
            assert s['auc_ci95'] and s['auc_ci95'][0] <= s['auc_ovr_macro'] <= s['auc_ci95'][1], (name, preset, s)
    for name, per in results['preset_scores'].items():
        assert set(PRESETS_SCORED) <= set(per), (name, sorted(per))
