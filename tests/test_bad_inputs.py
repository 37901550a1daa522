"""Issue 7, part 1: the bad-input corpus. Every case builds its input in tmp_path (nothing binary is committed), runs the
`darksub` command a user would run, and checks: exit status 2, one message naming the file and what was expected, no
traceback, nothing overwritten, no partial output, and no code from the input executed.

Cases marked 'sub' run the installed console script in a new process; 'inproc' ones run the same `darksub.cli.main`
in this process (commands that import torch models take ~5 s to start, so only one case per such command pays it).
Set DARKSUB_RELIABILITY_OUT=FILE to record each outcome (tests/reliability_table.py turns them into the README table)."""
from __future__ import annotations
import errno, io, json, os, shutil, tarfile, zipfile
from pathlib import Path
import numpy as np
import pytest
from conftest import make_dataset, run_cli, run_inproc, sha256, tree_digest


class Payload:
    "Unpickling this object creates the file SENTINEL: if that file ever appears, darksub ran code from its input."
    def __init__(self, sentinel): self.sentinel = str(sentinel)
    def __reduce__(self): return (open, (self.sentinel, 'w'))


def _pickled_npy(path, obj):
    arr = np.empty(2, dtype=object); arr[0] = obj; arr[1] = 3.2e-23
    np.save(path, arr, allow_pickle=True)


def _zip(path, name, data=b'x'):
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('dataset/train/no/0.npy', data); z.writestr(name, data)
    return path


def _tar(path, name, link=None):
    with tarfile.open(path, 'w:gz') as t:
        info = tarfile.TarInfo('dataset/train/no/0.npy'); info.size = 1; t.addfile(info, io.BytesIO(b'x'))
        info = tarfile.TarInfo(name)
        if link: info.type, info.linkname = tarfile.SYMTYPE, link; t.addfile(info)
        else: info.size = 1; t.addfile(info, io.BytesIO(b'x'))
    return path


def _ckpt_copy(ckpt, dest: Path, edit=None, truncate=None, weights=None) -> Path:
    "A copy of the session checkpoint in `dest`, optionally with other weights bytes, truncated, or an edited sidecar."
    dest.mkdir(parents=True, exist_ok=True)
    p = dest/'model.safetensors'
    shutil.copy(ckpt, p); shutil.copy(ckpt.with_suffix('.json'), p.with_suffix('.json'))
    if weights is not None: p.write_bytes(weights)
    if truncate: p.write_bytes(p.read_bytes()[:truncate])
    if edit:
        side = json.loads(p.with_suffix('.json').read_text()); edit(side)
        p.with_suffix('.json').write_text(json.dumps(side))
    return p


# Each case: (what is tried, builder(tmp, ckpt) -> dict(argv, expect, [mode, names, absent, keep, sentinel, argparse])).
# expect: substrings of the one-line message; names: the offending file, which the message must name.
def c_npy_truncated(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'sphere'/'1.npy'; f.write_bytes(f.read_bytes()[:200])
    return dict(mode='sub', argv=['validate', ds], names=f, expect=['is truncated', "header announces a float32 array of shape (1, 32, 32)"])

def c_npy_corrupt(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'val'/'no'/'0.npy'; f.write_bytes(os.urandom(600))
    return dict(argv=['validate', ds], names=f, expect=['is not a .npy file', 'expected an array saved with numpy.save'])

def c_npy_truncated_predict(t, ck):
    f = t/'img.npy'; np.save(f, np.zeros((1, 32, 32), np.float32) + 0.5); f.write_bytes(f.read_bytes()[:1000])
    return dict(argv=['predict', '--checkpoint', ck, f, '--out', t/'p.csv', '--device', 'cpu'], mode='sub', names=f,
                expect=['is truncated'], absent=[t/'p.csv'])

def c_shape_hwc(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'no'/'1.npy'; np.save(f, np.random.rand(150, 150, 3).astype(np.float32))
    return dict(argv=['validate', ds], names=f, expect=['shape (150, 150, 3)', 'channels-last', 'expected one single-channel image of shape (H, W) or (1, H, W)'])

def c_shape_64(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'vort'/'1.npy'; np.save(f, np.random.rand(64, 64).astype(np.float32))
    return dict(argv=['validate', ds], names=Path('vort/1.npy'), expect=['mixes images of different sizes', '1 of 64x64', 'expected one size'])

def c_shape_1d(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'val'/'sphere'/'0.npy'; np.save(f, np.random.rand(4000).astype(np.float32))
    return dict(argv=['validate', ds], names=f, expect=['flat vector of 4000 values', 'not a square number of pixels', 'such as (4096,) for 64x64'])

def c_shape_stack(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'val'/'no'/'1.npy'; np.save(f, np.random.rand(3, 32, 32).astype(np.float32))
    return dict(argv=['validate', ds], names=f, expect=['shape (3, 32, 32)', 'a stack of 3 images', 'save one image per file'])

def c_flat_64_in_32(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'no'/'0.npy'; np.save(f, np.random.rand(4096).astype(np.float32))
    return dict(argv=['validate', ds], names=Path('no/0.npy'), expect=['mixes images of different sizes', '1 of 64x64'])

def c_unsplit_train(t, ck):
    for k, c in enumerate(('no_sub', 'cdm', 'axion')):
        (t/'rel'/c).mkdir(parents=True); np.save(t/'rel'/c/'0.npy', np.full((32, 32), k / 3, np.float32))
    return dict(argv=['train', '--data', t/'rel', '--out', t/'run', '--epochs', '1', '--device', 'cpu', '--quiet'], names=t/'rel',
                expect=["no split 'train'", "split 'all'", 'darksub import'], absent=[t/'run'])

def c_object_array(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'vort'/'0.npy'; _pickled_npy(f, np.random.rand(32, 32))
    return dict(argv=['validate', ds], names=f, expect=['refusing to load', 'pickled object array', '--allow-pickle'])

def c_pickle_payload_npy(t, ck):
    f = t/'evil.npy'; _pickled_npy(f, Payload(t/'PWNED'))
    return dict(argv=['predict', '--checkpoint', ck, f, '--out', t/'p.csv', '--device', 'cpu'], names=f,
                expect=['refusing to load', 'arbitrary code'], absent=[t/'p.csv'], sentinel=t/'PWNED')

def c_nan(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'no'/'0.npy'; a = np.load(f); a[0, 3, 4] = np.nan; np.save(f, a)
    return dict(argv=['validate', ds], names=f, expect=['1 NaN and 0 infinite pixel(s)', 'expected finite values'])

def c_inf(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'val'/'vort'/'1.npy'; a = np.load(f); a[0, 0, 0] = np.inf; a[0, 1, 1] = -np.inf; np.save(f, a)
    return dict(argv=['validate', ds], names=f, expect=['0 NaN and 2 infinite pixel(s)', 'expected finite values'])

def c_nan_evaluate(t, ck):
    ds = make_dataset(t/'ds', {'test': 2}); f = ds/'test'/'sphere'/'1.npy'; a = np.load(f); a[0, 5, 5] = np.nan; np.save(f, a)
    return dict(argv=['evaluate', ds, '--checkpoint', ck, '--device', 'cpu', '--n-boot', '0', '--out', t/'m.json'], mode='sub',
                names=f, expect=['1 NaN and 0 infinite pixel(s)'], absent=[t/'m.json'])

def c_constant(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'sphere'/'0.npy'; np.save(f, np.full((1, 32, 32), 0.25, np.float32))
    return dict(argv=['validate', ds], names=f, expect=['1 constant image(s)', 'expected images with contrast', '--lenient'])

def c_empty_class(t, ck):
    ds = make_dataset(t/'ds'); d = ds/'val'/'sphere'; shutil.rmtree(d); d.mkdir()
    return dict(argv=['validate', ds], names=d, expect=['holds no .npy files', 'expected one image per .npy file'])

def c_missing_class(t, ck):
    ds = make_dataset(t/'ds'); shutil.rmtree(ds/'val'/'vort')
    return dict(argv=['validate', ds], names=ds/'val', expect=["has no class folder 'vort'", 'expected class folders: no, sphere, vort'])

def c_no_splits(t, ck):
    (t/'ds'/'images').mkdir(parents=True)
    return dict(argv=['validate', t/'ds'], names=t/'ds', expect=['holds no split folder', 'expected'])

def c_import_stack(t, ck):
    for k, c in enumerate(('no_sub', 'cdm', 'axion')):
        (t/'rel'/c).mkdir(parents=True)
        for i in range(10): np.save(t/'rel'/c/f'{i}.npy', np.full((32, 32), k / 3 + i / 100))
    f = t/'rel'/'cdm'/'3.npy'; np.save(f, np.zeros((5, 32, 32)))
    return dict(argv=['import', t/'rel', t/'out'], names=f, expect=['shape (5, 32, 32)', 'a stack of 5 images', 'save one image per file'],
                absent=[t/'out'])

def c_import_existing(t, ck):
    from darksub.ingest import write_in_layout
    src = write_in_layout(t/'rel', {c: np.random.default_rng(k).random((10, 16, 16)) for k, c in enumerate(('no', 'sphere', 'vort'))}, 'flat')
    assert run_inproc('import', src, t/'out').returncode == 0
    return dict(argv=['import', src, t/'out'], names=t/'out'/'manifest.json', expect=['already holds a dataset', '--overwrite'], keep=[t/'out'])

def c_fit_uint8(t, ck):
    f = t/'u8.npy'; np.save(f, (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8))
    return dict(argv=['fit', f, '--out', t/'fit', '--device', 'cpu', '--no-figures'], names=f,
                expect=['holds uint8 pixels', 'never rescaled silently', '--scale 255'], absent=[t/'fit'])

def c_predict_other_size(t, ck):
    f = t/'big.npy'; np.save(f, np.random.default_rng(0).random((300, 300)).astype(np.float32))
    return dict(argv=['predict', f, '--out', t/'p.csv', '--device', 'cpu'], names=f,
                expect=['is 300x300 pixels but the model was trained on 150x150 images at 0.05 arcsec/pixel', '--resize'], absent=[t/'p.csv'])

def c_stray_files(t, ck):
    ds = make_dataset(t/'ds'); (ds/'train'/'no'/'notes.txt').write_text('hello'); (ds/'train'/'no'/'3.npy.bak').write_bytes(b'x')
    return dict(argv=['validate', ds], names=Path('no/notes.txt'), expect=['ignoring 2 file(s) that are not .npy images', 'expected only <class>/<i>.npy files'])

def c_mixed_sizes(t, ck):
    ds = make_dataset(t/'ds', {'train': 2}); make_dataset(ds, {'val': 2}, hw=(16, 16))
    return dict(argv=['validate', ds], names=ds/'val', expect=['train holds 32x32 images but', 'is 16x16', 'expected one size for the whole dataset'])

def c_mixed_sizes_train(t, ck):
    ds = make_dataset(t/'ds', {'train': 2}); make_dataset(ds, {'val': 2}, hw=(16, 16))
    return dict(argv=['train', '--data', ds, '--out', t/'run', '--epochs', '1', '--batch-size', '2', '--device', 'cpu', '--quiet'],
                names=ds/'val', expect=['holds 32x32 images but', 'is 16x16'], absent=[t/'run'])

def c_ckpt_truncated(t, ck):
    p = _ckpt_copy(ck, t/'ck', truncate=4000)
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=['does not match its sidecar (SHA-256 differs)', 'truncated or replaced'], absent=[t/'p.csv'])

def c_ckpt_truncated_nosha(t, ck):
    p = _ckpt_copy(ck, t/'ck', truncate=4000, edit=lambda s: s.pop('weights_sha256'))
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=['is not a readable safetensors file', 'never pickle'], absent=[t/'p.csv'])

def c_ckpt_other_arch(t, ck):
    from darksub.models import create_model
    from darksub.checkpoint import save_checkpoint
    other = save_checkpoint(create_model('conv_lstm', num_classes=3), t/'other'/'m.safetensors', {'classes': ['no', 'sphere', 'vort']})
    def claim_crop(s): s['model'] = 'crop_resnet_d4'; s['model_kwargs'] = {'num_classes': 3, 'in_chans': 1}
    p = _ckpt_copy(ck, t/'ck', weights=other.read_bytes(), edit=lambda s: (claim_crop(s), s.update(weights_sha256=sha256(other))))
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=["does not fit model 'crop_resnet_d4'"], absent=[t/'p.csv'])

def c_ckpt_num_classes(t, ck):
    p = _ckpt_copy(ck, t/'ck', edit=lambda s: s.update(classes=['no', 'sphere'], model_kwargs={'num_classes': 2, 'in_chans': 1}))
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=["does not fit model 'crop_resnet_d4'", "'num_classes': 2"], absent=[t/'p.csv'])

def c_ckpt_classes_dataset(t, ck):
    ds = make_dataset(t/'ds', {'test': 2}, classes=('no', 'sphere', 'vort', 'wdm'))
    return dict(argv=['evaluate', ds, '--checkpoint', ck, '--device', 'cpu', '--n-boot', '0', '--out', t/'m.json'], 
                names=ds/'test', expect=["class folder(s) wdm that the checkpoint does not know", 'it predicts no, sphere, vort'], absent=[t/'m.json'])

def c_ckpt_pickle(t, ck):
    import torch
    buf = io.BytesIO(); torch.save({'weight': Payload(t/'PWNED')}, buf)
    p = _ckpt_copy(ck, t/'ck', weights=buf.getvalue(), edit=lambda s: s.pop('weights_sha256'))
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=['is not a readable safetensors file', 'never pickle'], absent=[t/'p.csv'], sentinel=t/'PWNED')

_NOT_SAFETENSORS = ['is not a .safetensors file', 'darksub loads weights only from safetensors', 'can run code',
                    'torch.load(path, weights_only=True)', 'safetensors.torch.save_file']

def c_ckpt_pt_file(t, ck):
    "A pickle payload saved with torch.save as model.pt (with a sidecar beside it): refused by name, never unpickled."
    import torch
    p = t/'model.pt'; torch.save({'weight': Payload(t/'PWNED')}, p); shutil.copy(ck.with_suffix('.json'), t/'model.json')
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=_NOT_SAFETENSORS, absent=[t/'p.csv'], sentinel=t/'PWNED')

def c_ckpt_pt_state_dict(t, ck):
    "A plain torch.save state dict (.pth): refused too, with how to convert it."
    import torch
    from safetensors.torch import load_file
    p = t/'model.pth'; torch.save(load_file(ck), p)
    return dict(argv=['predict', '--checkpoint', p, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=p,
                expect=_NOT_SAFETENSORS, absent=[t/'p.csv'])

def c_archive_dotdot(t, ck):
    a = _zip(t/'a.zip', 'dataset/../../evil.txt')
    return dict(mode='sub', argv=['download', t/'out', '--archive', a], names=a, expect=["'dataset/../../evil.txt' contains '..'", 'nothing was written'],
                absent=[t/'out', t/'evil.txt'])

def c_archive_absolute(t, ck):
    a = _tar(t/'a.tar.gz', str(t/'abs_evil.txt'))
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['is an absolute path', 'nothing was written'],
                absent=[t/'out', t/'abs_evil.txt'])

def c_archive_symlink(t, ck):
    a = _tar(t/'a.tar.gz', 'dataset/train/no/1.npy', link='/etc/passwd')
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=["is a symlink to '/etc/passwd', outside the destination"],
                absent=[t/'out'])

def c_archive_corrupt(t, ck):
    a = t/'a.zip'; a.write_bytes(b'PK\x03\x04' + os.urandom(300))
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['is not a readable zip or tar archive'], absent=[t/'out'])

def c_unknown_preset(t, ck):
    return dict(argv=['simulate', t/'out', '--n-per-class', '1', '--preset', 'model_z'], names=None,
                expect=["unknown simulation preset 'model_z': expected one of"], absent=[t/'out'])

def c_unknown_model(t, ck):
    return dict(argv=['train', '--model', 'resnet9000', '--simulate', '--steps-per-epoch', '1', '--out', t/'run'], mode='sub', names=None,
                expect=["unknown model 'resnet9000': expected one of", 'crop_resnet_d4'], absent=[t/'run'])

def c_unknown_profile(t, ck):
    return dict(argv=['pipeline', '--profile', 'huge', '--root', t, '--run-dir', t/'runs'], names=None,
                expect=["unknown profile 'huge': expected one of smoke, quick, reference, full"], absent=[t/'runs'])

def c_unknown_device(t, ck):
    return dict(argv=['simulate', t/'out', '--n-per-class', '1', '--device', 'tpu'], names=None,
                expect=["unknown device 'tpu'", "expected 'auto', 'cpu' or 'cuda[:N]'"], absent=[t/'out'])

def c_zero_count(t, ck):
    return dict(mode='sub', argv=['simulate', t/'out', '--n-per-class', '0'], names=None, expect=['n_per_class = 0', 'expected a positive whole number'],
                absent=[t/'out'])

def c_negative_count(t, ck):
    return dict(argv=['simulate', t/'out', '--n-per-class', 'train=4', 'val=-3'], names=None,
                expect=["n_per_class['val'] = -3", 'expected a positive whole number'], absent=[t/'out'])

def c_zero_epochs(t, ck):
    return dict(argv=['train', '--simulate', '--epochs', '0', '--steps-per-epoch', '1', '--out', t/'run'], names=None,
                expect=['invalid training configuration: epochs must be >= 1'], absent=[t/'run'])

def c_unknown_option(t, ck):
    return dict(mode='sub', argv=['simulate', t/'out', '--n-per-class', '1', '--n-per-klass', '2'], names=None, argparse=True,
                expect=['unrecognized arguments: --n-per-klass 2'], absent=[t/'out'])

def c_unknown_knob(t, ck):
    return dict(argv=['pipeline', '--profile', 'smoke', '-p', 'EPOHCS', '3', '--root', _nb_root(t), '--run-dir', t/'runs'], names=None,
                expect=['unknown parameter(s) EPOHCS', "expected a knob of profile 'smoke'"], absent=[t/'runs'])

def c_pipeline_low_memory(t, ck):
    "A profile whose largest step needs more memory than any machine has: refused before anything runs."
    return dict(argv=['pipeline', '--profile', 'smoke', '-p', 'BATCH_SIZE', '1000000', '--root', _nb_root(t), '--run-dir', t/'runs'], names=None,
                expect=['GB of memory but only', 'GB is available', 'choose a smaller profile', '-p BATCH_SIZE 16', '--force'],
                absent=[t/'runs'])

def c_pipeline_low_disk(t, ck):
    "A profile whose dataset does not fit on the disk: refused before anything runs, naming the folder."
    return dict(argv=['pipeline', '--profile', 'smoke', '-p', 'N_TRAIN', '1000000000000', '--root', _nb_root(t), '--run-dir', t/'runs'], names=t,
                expect=['GB free but this run needs about', 'choose a smaller profile', '-p N_TRAIN 500', '--force'], absent=[t/'runs'])

def c_pipeline_empty_root(t, ck):
    "A --root without numbered notebooks: refused, not an empty run with status ok."
    return dict(argv=['pipeline', '--profile', 'smoke', '--root', t, '--run-dir', t/'runs'], names=t,
                expect=['holds no numbered notebooks', 'expected the darksub repository root (--root)'], absent=[t/'runs'])

def c_pipeline_param_type(t, ck):
    "`-p N_TRAIN abc`: refused before the first notebook starts (not minutes later inside it)."
    return dict(argv=['pipeline', '--profile', 'smoke', '-p', 'N_TRAIN', 'abc', '--root', _nb_root(t), '--run-dir', t/'runs'], names=None,
                expect=["-p N_TRAIN 'abc': expected a whole number", 'nothing was run'], absent=[t/'runs'])

def c_unknown_command(t, ck):
    return dict(mode='sub', argv=['simulte', t/'out'], names=None, argparse=True, expect=["unknown command 'simulte'"], absent=[t/'out'])

def c_existing_csv(t, ck):
    out = t/'p.csv'; out.write_text('precious\n')
    return dict(argv=['predict', '--checkpoint', ck, _img(t), '--out', out, '--device', 'cpu'], names=out,
                expect=['already exists', 'pass --overwrite to replace it'], keep=[out])

def c_existing_dataset(t, ck):
    from darksub.datasets import write_dataset
    write_dataset(t/'ds', {'train': 1}, seed=1, progress=False)
    return dict(argv=['simulate', t/'ds', '--n-per-class', 'train=2', '--no-progress'], names=t/'ds',
                expect=['holds a complete dataset made with other parameters', '(CLI: --overwrite)'], keep=[t/'ds'])

def c_nonempty_folder(t, ck):
    (t/'home').mkdir(); (t/'home'/'thesis.tex').write_text('years of work')
    return dict(argv=['simulate', t/'home', '--n-per-class', '1', '--no-progress'], names=t/'home',
                expect=['is not empty and holds no darksub dataset'], keep=[t/'home'])

def c_existing_fit(t, ck):
    (t/'fit').mkdir(); img = _img(t); (t/'fit'/'img.json').write_text('{}')
    return dict(argv=['fit', img, '--out', t/'fit', '--device', 'cpu', '--no-figures'], names=t/'fit'/'img.json',
                expect=['already exists', 'pass --overwrite'], keep=[t/'fit'])


# Issue 30, the output boundary: no input of the run is replaced, not even with --overwrite; an existing output needs --overwrite.
def c_out_input_image(t, ck):
    ds = make_dataset(t/'ds', {'test': 2}); f = ds/'test'/'no'/'0.npy'
    return dict(argv=['evaluate', ds, '--checkpoint', ck, '--device', 'cpu', '--out', f, '--overwrite'], names=f,
                expect=['refusing to write', 'it is read from the input folder', 'choose an output outside the inputs'], keep=[ds])

def c_out_manifest(t, ck):
    ds = make_dataset(t/'ds', {'test': 2}); f = ds/'manifest.json'; f.write_text('{"n_per_class": {"test": 2}}')
    return dict(argv=['evaluate', ds, '--checkpoint', ck, '--device', 'cpu', '--out', f, '--overwrite'], names=f,
                expect=['refusing to write', 'it is read from the input folder'], keep=[ds])

def c_out_sidecar(t, ck):
    ds = make_dataset(t/'ds', {'test': 2}); c = _ckpt_copy(ck, t/'ck')
    return dict(argv=['evaluate', ds, '--checkpoint', c, '--device', 'cpu', '--out', c.with_suffix('.json'), '--overwrite'],
                names=c.with_suffix('.json'), expect=['refusing to write', 'it is an input of this run'], keep=[t/'ck', ds])

def c_out_existing_metrics(t, ck):
    ds = make_dataset(t/'ds', {'test': 2}); out = t/'metrics.json'; out.write_text('{"auc": 0.99}')
    return dict(argv=['evaluate', ds, '--checkpoint', ck, '--device', 'cpu', '--out', out], names=out,
                expect=['already exists', 'pass --overwrite to replace it'], keep=[out])

def c_out_predict_input(t, ck):
    img = _img(t)
    return dict(argv=['predict', '--checkpoint', ck, img, '--out', img, '--overwrite', '--device', 'cpu'], names=img,
                expect=['refusing to write', 'it is an input of this run'], keep=[img])

def c_out_fit_summary(t, ck):
    (t/'fit').mkdir(); img = _img(t); (t/'fit'/'summary.json').write_text('{"images": []}')
    return dict(argv=['fit', img, '--out', t/'fit', '--device', 'cpu', '--no-figures'], names=t/'fit'/'summary.json',
                expect=['already exists (an earlier fit)', 'pass --overwrite'], keep=[t/'fit'])

def c_out_train_init(t, ck):
    ds = make_dataset(t/'ds'); c = _ckpt_copy(ck, t/'run')
    return dict(argv=['train', '--data', ds, '--out', t/'run', '--init', c, '--epochs', '1', '--device', 'cpu', '--quiet'], names=t/'run',
                expect=['refusing to write', 'it holds the input'], keep=[t/'run'])

def c_out_import_into_source(t, ck):
    src = make_dataset(t/'src', {'train': 2})
    return dict(argv=['import', src/'train', src], names=src, expect=['refusing to write', 'it holds the input'], keep=[src])

# Issue 30, bounded work: archives and .npy headers are checked before anything is allocated or written.
def _zip_patched(path, offsets, value, fmt='<H', method=zipfile.ZIP_DEFLATED, data=b'y' * 1000):
    "A one-member zip whose local and central headers get `value` at `offsets` (from each header's signature)."
    import struct
    with zipfile.ZipFile(path, 'w', method) as z: z.writestr('dataset/train/no/0.npy', data)
    b = bytearray(path.read_bytes())
    for sig, off in zip((b'PK\x03\x04', b'PK\x01\x02'), offsets):
        j = b.find(sig); b[j + off:j + off + struct.calcsize(fmt)] = struct.pack(fmt, value)
    path.write_bytes(bytes(b)); return path

def c_archive_deflate64(t, ck):
    a = _zip_patched(t/'d64.zip', (8, 10), 9)
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['compressed with Deflate64, which Python cannot read', 'nothing was written'], absent=[t/'out'])

def c_archive_encrypted(t, ck):
    a = _zip_patched(t/'enc.zip', (6, 8), 1)
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['is encrypted'], absent=[t/'out'])

def c_archive_crc(t, ck):
    a = t/'crc.zip'
    with zipfile.ZipFile(a, 'w') as z: z.writestr('dataset/train/no/0.npy', b'z' * 4000)
    b = bytearray(a.read_bytes()); b[b.find(b'zzzz') + 100] ^= 0xff; a.write_bytes(bytes(b))
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['Bad CRC-32', 'nothing was kept'], absent=[t/'out'])

def c_archive_deep(t, ck):
    a = _zip(t/'deep.zip', 'a/' * 3000 + 'x.npy')
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['is nested 3001 folders deep'], absent=[t/'out'])

def c_archive_bomb(t, ck):
    a = _zip_patched(t/'bomb.zip', (22, 24), 1_100_000_000, '<I')  # a 1 kB zip that declares 1.1 GB
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=['would expand to 1.1 GB', 'EXTRACT_LIMITS', 'nothing was written'], absent=[t/'out'])

def c_archive_dangling_hardlink(t, ck):
    a = t/'hl.tar'
    with tarfile.open(a, 'w') as tf:
        info = tarfile.TarInfo('dataset/train/no/0.npy'); info.size = 1; tf.addfile(info, io.BytesIO(b'x'))
        info = tarfile.TarInfo('dataset/train/no/1.npy'); info.type, info.linkname = tarfile.LNKTYPE, 'dataset/gone.npy'; tf.addfile(info)
    return dict(argv=['download', t/'out', '--archive', a], names=a, expect=["is a hard link to 'dataset/gone.npy', which the archive does not hold"], absent=[t/'out'])

def c_archive_missing_with_dataset(t, ck):
    make_dataset(t/'out'/'dataset')
    return dict(argv=['download', t/'out', '--archive', t/'nope.zip'], names=t/'nope.zip', expect=['does not exist'], keep=[t/'out'])

def c_archive_over_dataset(t, ck):
    make_dataset(t/'out'/'dataset'); a = _zip(t/'new.zip', 'dataset/val/no/0.npy')
    return dict(argv=['download', t/'out', '--archive', a], names=t/'out', expect=['already holds an extracted dataset', '--overwrite', 'nothing was read'], keep=[t/'out'])

def c_npy_version_unknown(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'no'/'0.npy'; b = bytearray(f.read_bytes()); b[6] = 7; f.write_bytes(bytes(b))
    return dict(argv=['validate', ds, '--headers-only'], names=f, expect=['format version 7.0, which NumPy does not read', 'expected version 1.0, 2.0 or 3.0'])

def c_npy_huge_sparse(t, ck):
    ds = make_dataset(t/'ds'); f = ds/'train'/'sphere'/'0.npy'
    with open(f, 'wb') as fh:
        np.lib.format.write_array_header_1_0(fh, {'descr': '<f4', 'fortran_order': False, 'shape': (1, 100000, 100000)})
        fh.truncate(128 + 4 * 10**10)  # 40 GB that take 4 kB of disk
    return dict(argv=['validate', ds, '--headers-only'], names=f, expect=['(40 GB): more than the', 'nothing was read'])

# Issue 30, checked configuration and bounded numbers: a sidecar or manifest is checked before it is used; every number has an upper bound.
def c_ckpt_nan_weights(t, ck):
    "A checkpoint whose weights are NaN (a diverged run): one line, not NaN probabilities with a class."
    from safetensors.torch import load_file, save_file
    c = _ckpt_copy(ck, t/'ck'); w = {k: v.float().fill_(float('nan')) if v.is_floating_point() else v for k, v in load_file(c).items()}
    save_file(w, str(c)); side = json.loads(c.with_suffix('.json').read_text()); side['weights_sha256'] = sha256(c)
    c.with_suffix('.json').write_text(json.dumps(side))
    return dict(argv=['predict', '--checkpoint', c, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=_img(t),
                expect=['non-finite probabilities (NaN or inf) for 1 of 1 image(s)', 'nothing was written'], absent=[t/'p.csv'])

def c_sidecar_formula_classes(t, ck):
    "Class names that a spreadsheet would run as formulas reach no CSV."
    c = _ckpt_copy(ck, t/'ck', edit=lambda s: s.update(classes=['=HYPERLINK("http://x")', 'sphere', 'vort']))
    return dict(argv=['predict', '--checkpoint', c, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=c.with_suffix('.json'),
                expect=["'classes' is", 'a plain name'], absent=[t/'p.csv'])

def c_sidecar_duplicate_classes(t, ck):
    c = _ckpt_copy(ck, t/'ck', edit=lambda s: s.update(classes=['no', 'no', 'vort']))
    return dict(argv=['predict', '--checkpoint', c, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=c.with_suffix('.json'),
                expect=['different items'], absent=[t/'p.csv'])

def c_sidecar_wrong_type(t, ck):
    c = _ckpt_copy(ck, t/'ck', edit=lambda s: s.update(img_size='150'))
    return dict(argv=['evaluate', make_dataset(t/'ds', {'test': 1}), '--checkpoint', c, '--device', 'cpu'], names=c.with_suffix('.json'),
                expect=["'img_size' is '150'; expected null or a whole number from 8 to 4096"])

def c_sidecar_huge_model(t, ck):
    "A sidecar that asks for a model of terabytes: sized on the meta device, never allocated."
    c = _ckpt_copy(ck, t/'ck', edit=lambda s: s['model_kwargs'].update(widths=[16, 32, 64, 1_000_000]))
    return dict(argv=['predict', '--checkpoint', c, _img(t), '--out', t/'p.csv', '--device', 'cpu'], names=c.with_suffix('.json'),
                expect=["describes a 'crop_resnet_d4' model of 36 TB, but the weights file holds", 'at most 4 GB are loaded'], absent=[t/'p.csv'])

def c_manifest_split_traversal(t, ck):
    "A manifest whose split is '../victim': refused, never followed by --overwrite."
    (t/'victim').mkdir(); (t/'victim'/'keep.txt').write_text('mine')
    ds = make_dataset(t/'ds', {'train': 1}); (ds/'manifest.json').write_text(json.dumps({'n_per_class': {'../victim': 1}, 'seed': 0}))
    return dict(argv=['simulate', ds, '--n-per-class', '1', '--overwrite', '--no-progress'], names=ds/'manifest.json',
                expect=["'n_per_class' is {'../victim': 1}"], keep=[t/'victim', ds])

def c_simulate_beyond_disk(t, ck):
    "9 million images per class: refused from the disk estimate before anything is planned or written."
    return dict(argv=['simulate', t/'big', '--n-per-class', '9000000', '--no-progress'], names=t/'big',
                expect=['needs about', 'GiB for the 81000000 images', 'are free'], absent=[t/'big'])

def c_seed_beyond_64_bits(t, ck):
    return dict(argv=['train', '--simulate', '--steps-per-epoch', '1', '--out', t/'run', '--seed', '100000000000000000000000'], names=None,
                argparse=True, expect=['expected an integer from 0 to 9223372036854775807'], absent=[t/'run'])

def c_batch_beyond_memory(t, ck):
    return dict(argv=['predict', _img(t), '--out', t/'p.csv', '--batch-size', '100000000000000000000'], names=None, argparse=True,
                expect=['expected an integer from 1 to 4096'], absent=[t/'p.csv'])

def c_threads_beyond_cores(t, ck):
    return dict(mode='sub', argv=['bench', 'infer', '--threads', '100000'], names=None, argparse=True, expect=['--threads: expected an integer from 1 to'])

def c_pixel_scale_absurd(t, ck):
    return dict(argv=['fit', _img(t), '--out', t/'fit', '--pixel-scale', '1e300'], names=None, argparse=True,
                expect=['--pixel-scale: expected a number from 1e-06 to 10.0'], absent=[t/'fit'])

def c_starts_absurd(t, ck):
    return dict(argv=['fit', _img(t), '--out', t/'fit', '--starts', '100000000'], names=None, argparse=True,
                expect=['--starts: expected an integer from 1 to 256'], absent=[t/'fit'])

def c_img_size_absurd(t, ck):
    return dict(mode='sub', argv=['bench', 'infer', '--img-size', '100000'], names=None, argparse=True, expect=['--img-size: expected an integer from 8 to 1024'])

def c_n_boot_absurd(t, ck):
    return dict(argv=['evaluate', make_dataset(t/'ds', {'test': 1}), '--n-boot', '1000000000'], names=None, argparse=True,
                expect=['--n-boot: expected an integer from 0 to 100000'])

def c_train_formula_class(t, ck):
    "A class folder named like a spreadsheet formula: refused before the first epoch, not after it (the checkpoint could not record it)."
    ds = make_dataset(t/'ds', classes=('=SUM(A1)', 'sphere', 'vort'))
    return dict(argv=['train', '--data', ds, '--out', t/'run', '--epochs', '1', '--device', 'cpu', '--quiet'], names=None,
                expect=["the class names of the training data: 'classes' is ['=SUM(A1)', 'sphere', 'vort']", 'a plain name'], absent=[t/'run'])


def _nb_root(t: Path) -> Path:
    "A repository root holding one numbered notebook with a parameters cell."
    import nbformat
    nb = nbformat.v4.new_notebook(); nb.cells = [nbformat.v4.new_code_cell('N_TRAIN = 5', metadata={'tags': ['parameters']})]
    nb.metadata['kernelspec'] = {'name': 'darksub', 'display_name': 'Python (darksub)', 'language': 'python'}
    (t/'root'/'00_a').mkdir(parents=True, exist_ok=True); nbformat.write(nb, t/'root'/'00_a'/'00_first.ipynb')
    return t/'root'


def _img(t: Path) -> Path:
    f = t/'img.npy'
    if not f.exists(): np.save(f, np.random.default_rng(0).random((1, 32, 32), dtype=np.float32))
    return f


CASES = {name[2:]: fn for name, fn in list(globals().items()) if name.startswith('c_') and callable(fn)}


@pytest.mark.parametrize('case', list(CASES))
def test_bad_input(case, tmp_path, checkpoint):
    spec = CASES[case](tmp_path, checkpoint)
    argv, mode = spec['argv'], spec.get('mode', 'inproc')
    before = {p: tree_digest(p) if p.is_dir() else sha256(p) for p in spec.get('keep', [])}
    listing = sorted(p for p in tmp_path.rglob('*'))
    r = (run_cli if mode == 'sub' else run_inproc)(*argv)
    err = r.stderr.strip()
    _record(case, CASES[case].__doc__, argv, mode, r)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert 'Traceback' not in r.stderr, r.stderr
    if not spec.get('argparse'):
        assert len(err.splitlines()) == 1, f'expected one line on stderr, got:\n{err}'
        assert err.startswith(f'darksub {argv[0]}: error: '), err
    for s in spec['expect']: assert s in err, f'{s!r} not in {err!r}'
    if spec.get('names') is not None: assert str(spec['names']) in err, f"message does not name {spec['names']}: {err}"
    for p in spec.get('absent', []): assert not Path(p).exists(), f'{p} was created'
    for p, digest in before.items(): assert (tree_digest(p) if p.is_dir() else sha256(p)) == digest, f'{p} was changed'
    if 'sentinel' in spec: assert not Path(spec['sentinel']).exists(), 'code from the input file was executed'
    leftovers = [p for p in tmp_path.rglob('*') if p.name.endswith('.part') or p.name.startswith('.extract-')]
    assert not leftovers, f'partial output left behind: {leftovers}'
    created = sorted(set(tmp_path.rglob('*')) - set(listing))
    assert not created, f'files created by a failed command: {created}'


def _record(case, doc, argv, mode, r):
    out = os.environ.get('DARKSUB_RELIABILITY_OUT')
    if not out: return
    line = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''
    with open(out, 'a') as f:
        f.write(json.dumps({'case': case, 'argv': [str(a) for a in argv], 'mode': mode, 'status': r.returncode, 'message': line}) + '\n')


# A full disk during a write: a clear error and no partial file (in process: the write is made to fail with ENOSPC).
def _enospc(*a, **k): raise OSError(errno.ENOSPC, 'No space left on device')

def test_full_disk_dataset(tmp_path, monkeypatch):
    from darksub.core import DarksubError
    from darksub.datasets import write_dataset
    monkeypatch.setattr(np, 'save', _enospc)
    with pytest.raises(DarksubError, match='No space left on device') as e: write_dataset(tmp_path/'ds', {'train': 2}, progress=False)
    assert '0.npy' in str(e.value) and 'no partial file' in str(e.value)
    assert not [p for p in (tmp_path/'ds').rglob('*') if p.suffix in ('.npy', '.part') or p.name == 'manifest.json']

def test_full_disk_checkpoint(tmp_path, monkeypatch, checkpoint):
    import darksub.checkpoint as tr
    from darksub.core import DarksubError
    model, meta = tr.load_checkpoint(checkpoint)
    p = tmp_path/'best.safetensors'; tr.save_checkpoint(model, p, meta); good = sha256(p)
    monkeypatch.setattr(tr, 'save_file', _enospc)
    with pytest.raises(DarksubError, match='best.safetensors failed: No space left on device') as e: tr.save_checkpoint(model, p, meta)
    assert 'previous file is unchanged' in str(e.value)
    assert sha256(p) == good and sorted(x.name for x in tmp_path.iterdir()) == ['best.json', 'best.safetensors']

def test_full_disk_figure_and_report(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt
    from darksub.core import DarksubError, write_json
    from darksub.plots import save_figure
    fig, ax = plt.subplots(); ax.plot([0, 1])
    monkeypatch.setattr(fig, 'savefig', _enospc)
    with pytest.raises(DarksubError, match='fig.png failed: No space left'): save_figure(fig, tmp_path/'fig.png')
    plt.close(fig)
    monkeypatch.setattr(Path, 'write_text', _enospc)
    with pytest.raises(DarksubError, match='metrics.json failed: No space left'): write_json(tmp_path/'metrics.json', {'auc': 1.0})
    assert list(tmp_path.iterdir()) == []


def test_train_out_disk_too_small(tmp_path, monkeypatch):
    "`darksub train` says what the data and checkpoints need, and refuses an output disk that cannot hold the checkpoints."
    import shutil as sh
    ds = make_dataset(tmp_path/'ds')
    argv = ['train', '--data', ds, '--out', tmp_path/'run', '--epochs', '1', '--batch-size', '2', '--device', 'cpu', '--quiet']
    du = sh.disk_usage
    monkeypatch.setattr(sh, 'disk_usage', lambda p: du(p)._replace(free=10_000))
    r = run_inproc(*argv)
    assert r.returncode == 2 and 'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert 'darksub train: error: ' in r.stderr and 'but the checkpoints of this run need about' in r.stderr, r.stderr
    assert str(tmp_path) in r.stderr and not (tmp_path/'run').exists()
    monkeypatch.setattr(sh, 'disk_usage', du)
    r = run_inproc(*argv)
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.startswith('data: '))
    assert 'train 25.3 kB on disk, cached in RAM (24.6 kB); val 25.3 kB on disk, cached in RAM (24.6 kB)' in line and ' free in ' in line, line


def test_cli_oserror_is_one_line(tmp_path):
    "A folder the user cannot write to: one line and status 2 (here: the output's parent is a file)."
    (tmp_path/'file').write_text('x')
    r = run_inproc('simulate', tmp_path/'file'/'ds', '--n-per-class', '1', '--no-progress')
    assert r.returncode == 2 and 'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert str(tmp_path/'file') in r.stderr


# The output boundary's other promises: one run per output, DIR/ is a folder, files as readable as the umask says.
def test_overlapping_runs_one_output(tmp_path, checkpoint):
    "While one run holds --out, a second run with the same --out fails at once; once it is done, the output exists and needs --overwrite."
    from darksub.outputs import claim_output
    out = tmp_path/'p.csv'
    with claim_output(out) as p:
        r = run_inproc('predict', '--checkpoint', checkpoint, _img(tmp_path), '--out', out, '--device', 'cpu')
        assert r.returncode == 2 and 'another darksub run is writing' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        p.write_text('first run\n')
    assert out.read_text() == 'first run\n' and not list(tmp_path.glob('.*.lock'))
    r = run_inproc('predict', '--checkpoint', checkpoint, _img(tmp_path), '--out', out, '--device', 'cpu')
    assert r.returncode == 2 and 'already exists' in r.stderr


def test_out_folder_and_mode(tmp_path, checkpoint):
    "`--out DIR/` writes DIR/<default name> (parents created); every file darksub writes is 0644 under umask 022."
    old = os.umask(0o022)
    try:
        ds = make_dataset(tmp_path/'ds', {'test': 2})
        r = run_inproc('predict', '--checkpoint', checkpoint, _img(tmp_path), '--out', f'{tmp_path}/new/preds/', '--device', 'cpu')
        assert r.returncode == 0, r.stderr
        r = run_inproc('evaluate', ds, '--checkpoint', checkpoint, '--device', 'cpu', '--n-boot', '0', '--out', f'{tmp_path}/new/')
        assert r.returncode == 0, r.stderr
        r = run_inproc('simulate', tmp_path/'sim', '--n-per-class', '1', '--no-progress')
        assert r.returncode == 0, r.stderr
    finally: os.umask(old)
    assert (tmp_path/'new'/'preds'/'predictions.csv').is_file() and (tmp_path/'new'/'metrics.json').is_file()
    written = [tmp_path/'new'/'preds'/'predictions.csv', tmp_path/'new'/'metrics.json', *(tmp_path/'sim').rglob('*.*')]
    modes = {p.relative_to(tmp_path).as_posix(): oct(p.stat().st_mode & 0o777) for p in written if p.is_file()}
    assert len(modes) > 5 and set(modes.values()) == {'0o644'}, modes


def test_npy_version_3(tmp_path, checkpoint):
    "A .npy file of format version 3.0 (numpy.save of a UTF-8 header) is read like any other."
    f = tmp_path/'v3.npy'
    with open(f, 'wb') as fh: np.lib.format.write_array(fh, np.random.default_rng(0).random((1, 32, 32), dtype=np.float32), version=(3, 0))
    r = run_inproc('predict', '--checkpoint', checkpoint, f, '--out', tmp_path/'p.csv', '--device', 'cpu')
    assert r.returncode == 0, r.stderr


SIDECAR_EDITS = {  # a hand-edited sidecar: every wrongly typed entry darksub reads is one DarksubError, never a traceback
    'classes_text': lambda s: s.update(classes='no,sphere,vort'), 'classes_number': lambda s: s.update(classes=3),
    'classes_empty': lambda s: s.update(classes=[]), 'classes_nested': lambda s: s.update(classes=[['no'], 'sphere', 'vort']),
    'kwargs_list': lambda s: s.update(model_kwargs=[1, 2]), 'kwargs_num_classes_text': lambda s: s['model_kwargs'].update(num_classes='3'),
    'kwargs_unknown': lambda s: s['model_kwargs'].update(bogus=1), 'kwargs_widths_text': lambda s: s['model_kwargs'].update(widths='abc'),
    'kwargs_widths_negative': lambda s: s['model_kwargs'].update(widths=[-1, 32, 64, 128]),
    'kwargs_object': lambda s: s['model_kwargs'].update(dropout={'p': 1}), 'img_size_text': lambda s: s.update(img_size='150'),
    'img_size_huge': lambda s: s.update(img_size=10**9), 'train_config_list': lambda s: s.update(train_config=[1]),
    'train_config_img_size': lambda s: s.update(train_config={'img_size': 'x'}), 'preprocess_number': lambda s: s.update(preprocess=5),
    'sha_number': lambda s: s.update(weights_sha256=5), 'domain_list': lambda s: s.update(domain=[1]),
    'domain_partial': lambda s: s.update(domain={'image_shape': [1, 32, 32]}), 'model_number': lambda s: s.update(model=5),
    'model_unknown': lambda s: s.update(model='gpt'), 'metrics_text': lambda s: s.update(metrics='good'),
    'seed_text': lambda s: s.update(seed='x'), 'class_folders_list': lambda s: s.update(class_folders=['a']),
}


@pytest.mark.parametrize('edit', list(SIDECAR_EDITS))
def test_sidecar_fields(edit, tmp_path, checkpoint):
    from darksub.checkpoint import load_checkpoint
    from darksub.core import DarksubError
    c = _ckpt_copy(checkpoint, tmp_path/'ck', edit=SIDECAR_EDITS[edit])
    with pytest.raises(DarksubError) as e: load_checkpoint(c)
    assert str(c.with_suffix('.json')) in str(e.value) or 'checkpoint' in str(e.value), str(e.value)
