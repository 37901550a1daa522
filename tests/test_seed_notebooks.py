"""Issue 31: the seed-model notebooks state their CPU recipe (input size, images seen, budget) in the title and the
parameters cell; both must follow the recipe in the model registry when it changes."""
from __future__ import annotations
import json
from pathlib import Path
import pytest
from darksub.models import model_info

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize('name, path', [('densenet201', '03_Model/01_train_densenet201.ipynb'),
                                        ('resnet101v2', '03_Model/02_train_resnet101v2.ipynb')])
def test_seed_notebook_states_its_recipe(name, path):
    r = model_info(name)['cpu_recipe']
    cells = json.loads((ROOT/path).read_text())['cells']
    title = ''.join(cells[0]['source']).splitlines()[0]
    params = next(''.join(c['source']) for c in cells if 'parameters' in c['metadata'].get('tags', []))
    for text in (title, params):
        assert f"{r['crop']}x{r['crop']}" in text and f"{r['images']:,}" in text, (path, text)
    assert '15-minute' in title and 'RECIPE = "cpu"' in params
