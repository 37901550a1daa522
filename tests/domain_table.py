"""The domain check's false-alarm and detection rates, printed as markdown (issue 29; the README's "Knowing its domain").

    python tests/domain_table.py [N_FRESH] [N_DOMAIN]   # defaults 3000 and 3000; about 2 minutes per 3000 images on 2 cores

For each preset the domain is measured on N_DOMAIN images (darksub.domain.preset_domain, seed 7919) and tested on
N_FRESH fresh images of the same preset (other seeds): the false-alarm rate. Then careless variants of fresh model_i
lenses, each passed through the input boundary the way a user would pass them (with --scale / --resize where the
boundary asks for it), and lenses of another instrument (64x64 at 0.1 arcsec/pixel, resampled with --resize)."""
from __future__ import annotations
import dataclasses, json, sys, time
import numpy as np
import torch
from darksub.core import DarksubError
from darksub.metrics import wilson_interval
from darksub.simulate import CLASSES, get_preset, simulate_lenses
from darksub.preprocess import resize
from darksub.domain import check_model_input, domain_scores, preset_domain

n_fresh = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
n_dom = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
torch.set_num_threads(2)
t0 = time.perf_counter()

def fresh(preset, n, seed, cfg=None):
    per = n // len(CLASSES)
    return np.concatenate([simulate_lenses(c, per, seed=seed + k, config=cfg or get_preset(preset))[0].numpy() for k, c in enumerate(CLASSES)])

def rate(flags):
    k, n = int(np.sum(flags)), len(flags)
    lo, hi = wilson_interval(k, n)
    return f"{k}/{n} = {k / n:.2%} [{float(lo):.2%}, {float(hi):.2%}]"

def through_boundary(imgs, dtype, domain, scale=None, resize_to=False):
    "(refused, flagged) per image: refused by check_model_input, else flagged by the domain score."
    refused, ok = [], []
    for i, im in enumerate(imgs):
        try: x, _ = check_model_input(im, f'img{i}', dtype, domain, scale, resize_to); ok.append(x); refused.append(False)
        except DarksubError: refused.append(True)
    s = domain_scores(np.stack(ok), domain)[0] if ok else np.array([])
    it = iter(s > 1)
    flagged = [False if r else bool(next(it)) for r in refused]
    return np.array(refused), np.array(flagged)

rows = []
domains = {p: preset_domain(p, n_dom) for p in ('model_i', 'model_i_varied')}
domains['model_i_varied + model_i'] = preset_domain(['model_i_varied', 'model_i'], n_dom)
for name, dom in domains.items():
    for p in ('model_i', 'model_i_varied'):
        if p not in name: continue
        x = fresh(p, n_fresh, 1001)
        s, worst = domain_scores(x, dom)
        flagged = [w for w, f in zip(worst, s > 1) if f]
        rows.append((f'{name} domain', f'fresh {p} lenses (false alarms)', rate(s > 1), ', '.join(f'{k} {flagged.count(k)}' for k in sorted(set(flagged)))))
dom = domains['model_i']
n_var = max(30, n_fresh // 10)
base = fresh('model_i', n_var, 2001)
variants = {
    'uint8 (no --scale)': ([np.round(b * 255).astype(np.uint8) for b in base], 'uint8', None, False),
    'uint8, --scale 255': ([np.round(b * 255).astype(np.uint8) for b in base], 'uint8', '255', False),
    'int16 (no --scale)': ([np.round(b * 1000).astype(np.int16) for b in base], 'int16', None, False),
    'uint16 (no --scale)': ([np.round(b * 60000).astype(np.uint16) for b in base], 'uint16', None, False),
    'raw counts (x 3000)': ([b * 3000 for b in base], 'float64', None, False),
    'raw counts, --scale minmax': ([b * 3000 for b in base], 'float64', 'minmax', False),
    'negated': ([-b for b in base], 'float32', None, False),
    'negated, --scale minmax': ([-b for b in base], 'float32', 'minmax', False),
    'constant': ([np.full_like(b, 0.2) for b in base], 'float32', None, False),
    '2x upsampled to 300x300': ([resize(torch.from_numpy(b), (300, 300), 'bilinear').numpy() for b in base], 'float32', None, False),
    '2x upsampled, --resize': ([resize(torch.from_numpy(b), (300, 300), 'bilinear').numpy() for b in base], 'float32', None, True),
    'downsampled to 64x64': ([resize(torch.from_numpy(b), (64, 64), 'area').numpy() for b in base], 'float32', None, False),
    'downsampled to 64x64, --resize': ([resize(torch.from_numpy(b), (64, 64), 'area').numpy() for b in base], 'float32', None, True),
    '2x2 array': ([b[:, :2, :2] for b in base], 'float32', None, True),
}
other = dataclasses.replace(get_preset('model_i'), n_pix=64, pixel_scale=0.1)
inst = fresh('model_i', n_var, 3001, cfg=other)
variants['another instrument (64x64, 0.1"/px), --resize'] = (list(inst), 'float64', None, True)
for name, (imgs, dt, sc, rs) in variants.items():
    ref, fl = through_boundary(imgs, dt, dom, sc, rs)
    rows.append(('model_i domain', name, f"refused {rate(ref)}; flagged {rate(fl)}; refused or flagged {rate(ref | fl)}", ''))
print('| domain | images | rate [95% Wilson interval] | statistic that set the flags |\n|---|---|---|---|')
for r in rows: print('| ' + ' | '.join(r) + ' |')
print(f"\nN_FRESH {n_fresh}, N_DOMAIN {n_dom}, variants on {n_var} lenses each; {time.perf_counter() - t0:.0f} s")
