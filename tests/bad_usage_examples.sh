#!/usr/bin/env bash
# The careless and hostile uses of issue 30, run as a user would (REPO: a checkout with .venv; default: this one):
#   REPO=$PWD bash tests/bad_usage_examples.sh
# Each line: the example, its exit status and the last line darksub wrote to stderr. Not a test: a record for people.
set -u
REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}; D=$(mktemp -d); cd "$D"
DS="$REPO/.venv/bin/darksub"; PY="$REPO/.venv/bin/python"
run() { local name=$1; shift; "$DS" "$@" > out.txt 2> err.txt; rc=$?; echo "$name | rc=$rc | $(tail -n1 err.txt | cut -c1-260)"; }
$PY - <<'PYEOF'
import numpy as np, json, io, zipfile, struct, tarfile, shutil
from pathlib import Path
from darksub.datasets import write_dataset
write_dataset('ds', {'test': 2}, seed=1, progress=False)
np.save('img.npy', np.random.default_rng(0).random((1, 150, 150), dtype=np.float32))
PYEOF
CK="$REPO/03_Model/crop_resnet_d4"; cp "$CK.safetensors" ck.safetensors; cp "$CK.json" ck.json
F=$(ls ds/test/no/*.npy | head -1); sha_before=$(sha256sum "$F" ds/manifest.json ck.json | sha256sum)
run evaluate_out_input_image evaluate ds --checkpoint ck.safetensors --out "$F" --overwrite
run evaluate_out_manifest evaluate ds --checkpoint ck.safetensors --out ds/manifest.json --overwrite
run evaluate_out_sidecar evaluate ds --checkpoint ck.safetensors --out ck.json --overwrite
echo "inputs unchanged: $([ "$sha_before" == "$(sha256sum "$F" ds/manifest.json ck.json | sha256sum)" ] && echo yes || echo NO)"
run evaluate_out_existing evaluate ds --checkpoint ck.safetensors --n-boot 0 --out ck.json.copy 2>/dev/null; run evaluate_out_existing_again evaluate ds --checkpoint ck.safetensors --n-boot 0 --out ck.json.copy
mkdir -p fitout && echo '{"images": []}' > fitout/summary.json
run fit_existing_summary fit img.npy --out fitout --steps 1 --lbfgs-steps 0 --starts 1 --no-figures
( "$DS" predict img.npy ds --out same.csv 2> p1.err; echo "overlap_run1 rc=$? $(tail -n1 p1.err | cut -c1-200)" ) & ( sleep 0.5; "$DS" predict img.npy ds --out same.csv 2> p2.err; echo "overlap_run2 rc=$? $(tail -n1 p2.err | cut -c1-200)" ); wait
run out_dir_slash predict img.npy --out results/ ; echo "  results/ holds: $(ls results)"
echo "mode of results/predictions.csv: $(stat -c %a results/predictions.csv) (umask $(umask))"
$PY - <<'PYEOF'
import numpy as np, zipfile, struct, tarfile, io
with open('v3.npy', 'wb') as f: np.lib.format.write_array(f, np.random.default_rng(1).random((1, 150, 150), dtype=np.float32), version=(3, 0))
b = bytearray(open('v3.npy', 'rb').read()); b[6] = 7; open('v7.npy', 'wb').write(bytes(b))
with open('sparse.npy', 'wb') as f:
    np.lib.format.write_array_header_1_0(f, {'descr': '<f4', 'fortran_order': False, 'shape': (1, 40000, 40000)}); f.truncate(128 + 4 * 40000**2)
def patched(name, offsets, value, fmt='<H', method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(name, 'w', method) as z: z.writestr('dataset/train/no/0.npy', b'y' * 1000)
    b = bytearray(open(name, 'rb').read())
    for sig, off in zip((b'PK\x03\x04', b'PK\x01\x02'), offsets):
        j = b.find(sig); b[j + off:j + off + struct.calcsize(fmt)] = struct.pack(fmt, value)
    open(name, 'wb').write(bytes(b))
patched('d64.zip', (8, 10), 9); patched('enc.zip', (6, 8), 1); patched('bomb.zip', (22, 24), 1_100_000_000, '<I')
with zipfile.ZipFile('crc.zip', 'w') as z: z.writestr('dataset/train/no/0.npy', b'z' * 4000)
b = bytearray(open('crc.zip', 'rb').read()); b[b.find(b'zzzz') + 100] ^= 0xff; open('crc.zip', 'wb').write(bytes(b))
with zipfile.ZipFile('deep.zip', 'w') as z: z.writestr('a/' * 3000 + 'x.npy', b'x')
inner = io.BytesIO()
with zipfile.ZipFile(inner, 'w') as z: z.writestr('dataset/train/no/0.npy', b'x')
data = inner.getvalue()
for k in range(20):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z: z.writestr(f'level{k}.zip', data)
    data = buf.getvalue()
open('nested.zip', 'wb').write(data)
with tarfile.open('hl.tar', 'w') as t:
    i = tarfile.TarInfo('dataset/train/no/0.npy'); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
    i = tarfile.TarInfo('dataset/train/no/1.npy'); i.type, i.linkname = tarfile.LNKTYPE, 'dataset/gone.npy'; t.addfile(i)
PYEOF
mkdir -p v3dir && cp v3.npy v3dir/; run npy_v3 predict v3dir/v3.npy --out v3.csv
run npy_unknown_version predict v7.npy --out v7.csv
run npy_sparse_huge predict sparse.npy --out sp.csv
mkdir -p big/test/no && cp sparse.npy big/test/no/0.npy; run validate_headers_40gb validate big --headers-only
for z in d64 enc crc deep nested bomb; do run "download_$z" download "dl_$z" --archive $z.zip; echo "  left behind: $(ls -A dl_$z 2>/dev/null | wc -l) entries"; done
run download_dangling_hardlink download dl_hl --archive hl.tar
mkdir -p have/dataset/train/no && cp img.npy have/dataset/train/no/0.npy
run download_archive_missing download have --archive nope.zip
run download_archive_over_dataset download have --archive d64.zip
run simulate_1e9 simulate sim1e9 --n-per-class 1000000000
run simulate_9e6 simulate sim9e6 --n-per-class 9000000
mkdir -p emptyroot; run pipeline_empty_root pipeline --root emptyroot --profile smoke
run pipeline_p_abc pipeline --root "$REPO" --run-dir p_abc -p EPOCHS abc --profile smoke
run train_seed_1e23 train --simulate --steps-per-epoch 1 --out r --seed 100000000000000000000000
run predict_batch_1e20 predict img.npy --out b.csv --batch-size 100000000000000000000
run fit_pixel_scale_1e300 fit img.npy --out f1 --pixel-scale 1e300
run fit_starts_1e8 fit img.npy --out f2 --starts 100000000
run bench_img_size_1e5 bench infer --img-size 100000
run bench_threads_1e5 bench infer --threads 100000
run evaluate_n_boot_1e9 evaluate ds --n-boot 1000000000
$PY - <<'PYEOF'
import json, shutil, copy
from safetensors.torch import load_file, save_file
import hashlib
side = json.load(open('ck.json'))
def variant(name, edit, weights=None):
    shutil.copy('ck.safetensors', f'{name}.safetensors'); s = copy.deepcopy(side); edit(s)
    if weights is not None:
        save_file(weights, f'{name}.safetensors'); s['weights_sha256'] = hashlib.sha256(open(f'{name}.safetensors', 'rb').read()).hexdigest()
    json.dump(s, open(f'{name}.json', 'w'))
variant('cls_dup', lambda s: s.update(classes=['no', 'no', 'vort']))
variant('cls_formula', lambda s: s.update(classes=['=HYPERLINK("http://x")', 'sphere', 'vort']))
variant('huge', lambda s: s['model_kwargs'].update(widths=[16, 32, 64, 6_000_000]))
variant('wrongtype', lambda s: s.update(img_size='150'))
variant('nan', lambda s: None, {k: v.float().fill_(float('nan')) if v.is_floating_point() else v for k, v in load_file('ck.safetensors').items()})
PYEOF
for v in cls_dup cls_formula huge wrongtype nan; do run "sidecar_$v" predict img.npy --checkpoint $v.safetensors --out $v.csv; done
echo "files left by failed commands: $(ls -d dl_* sim1e9 sim9e6 p_abc r f1 f2 b.csv v7.csv sp.csv cls_dup.csv nan.csv 2>/dev/null | tr '\n' ' ')"
