"""Issue 34: generated bad inputs for every command that reads user files or arguments (hypothesis).

`tests/test_bad_inputs.py` holds the cases somebody thought of; this suite generates them: .npy files of random dtype,
shape, range and finiteness (also with corrupt, truncated or invented headers), checkpoint sidecars and dataset manifests
with wrong types, missing, extra and huge entries, archives with random members, paths, link types and sizes, and random
argument values. Every generated case runs the command in process (`darksub.cli.main`, as the console script does) in a
folder of its own, and `check_command` asserts the same properties for all of them (see `PROPERTIES`).

Profiles (tests/conftest.py): `ci` (default; derandomized, so CI sees the same cases every run) and `long`
(`DARKSUB_HYPOTHESIS=long`: ten times the cases, new ones each run, failures kept in .hypothesis/).
`python tests/reliability_table.py` runs this suite and prints the README's Reliability table from what it observed."""
from __future__ import annotations
import contextlib, io, json, os, shutil, struct, tarfile, tempfile, warnings, zipfile
from pathlib import Path
import numpy as np
import pytest
from hypothesis import currently_in_test_context, given, note, settings, strategies as st
from conftest import ROOT, make_dataset, run_inproc, tree_digest

EXAMPLES = int(os.environ.get('DARKSUB_HYPOTHESIS_FACTOR', '1'))  # conftest sets 10 for the long profile

PROPERTIES = {
    'status': 'exit status 0 (done) or 2 (refused), nothing else',
    'traceback': 'no Python traceback and no Python warning on stdout or stderr',
    'one line': 'a refusal is one line on stderr: `darksub COMMAND: error: ...`',
    'nothing left': 'a refusal leaves no file behind (no output, no partial file, no lock)',
    'inputs kept': 'no file that existed before the command is changed or removed, whatever the outcome',
}


def examples(n: int):
    "The hypothesis settings of one test: n generated cases under the ci profile (times the long profile's factor)."
    return settings(max_examples=n * EXAMPLES)


def _record(command: str, inputs: str, argv, r):
    out = os.environ.get('DARKSUB_RELIABILITY_OUT')
    if not out: return
    line = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''
    with open(out, 'a') as f:
        f.write(json.dumps({'suite': 'properties', 'command': command, 'inputs': inputs, 'argv': [str(a) for a in argv],
                            'status': r.returncode, 'message': line}) + '\n')


@contextlib.contextmanager
def workdir():
    "A fresh folder per generated case, also the working directory; `check_command` hashes its parent, so outputs at '..' are seen too."
    with tempfile.TemporaryDirectory(prefix='darksub-prop-') as d:
        (Path(d)/'case').mkdir()
        with contextlib.chdir(Path(d)/'case'): yield Path(d)/'case'


def check_command(argv: list, where: Path, inputs: str, replaceable: str | None = None):
    "Run `darksub ARGV` in process inside `where` and assert every entry of `PROPERTIES`; returns the completed process. A command that succeeds may replace the files under `replaceable` (with --overwrite)."
    import torch
    argv, where = [str(a) for a in argv], Path(where).parent
    before, threads = tree_digest(where), torch.get_num_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        r = run_inproc(*argv)
    torch.set_num_threads(threads)  # --threads sets the process's threads: the next case starts as this one did
    after = tree_digest(where)
    _record(argv[0], inputs, argv, r)
    if currently_in_test_context(): note(f'status {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-2000:]}')
    assert r.returncode in (0, 2), f'status {r.returncode}: {r.stderr[-2000:]}'
    assert 'Traceback' not in r.stderr + r.stdout, r.stderr[-3000:]
    assert not caught, f'Python warnings: {[f"{w.category.__name__}: {w.message}" for w in caught]}'
    changed = sorted(k for k in before if after.get(k) != before[k])
    if r.returncode == 0 and replaceable: changed = [k for k in changed if not k.startswith(f'case/{replaceable}/')]
    assert not changed, f'pre-existing files changed or removed: {changed}'
    if r.returncode == 2:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f'darksub {argv[0]}: error: '), f'expected one error line, got:\n{r.stderr}'
        left = sorted(set(after) - set(before))
        assert not left, f'files left by a refused command: {left}'
    return r


# ---- .npy files --------------------------------------------------------------------------------------------------
DTYPES = ['<f4', '<f4', '>f4', '<f8', '<f2', '|u1', '|i1', '<i2', '<u2', '<i4', '<i8', '<u8', '|b1', '<c8', '<U4', '|S3', '<M8[s]', '|V4', '|O']
SHAPES = [(1, 32, 32), (1, 32, 32), (32, 32), (1, 64, 64), (1, 16, 16), (3, 32, 32), (32, 32, 3), (32, 32, 1), (1, 1, 32, 32),
          (2, 32, 32), (1, 31, 33), (1024,), (1000,), (), (0,), (1, 0, 32), (1, 8, 8), (1, 2, 2), (7,), (1, 1, 1)]
VALUES = ['unit', 'unit', 'zeros', 'const', 'nan', 'inf', 'negative', 'huge', 'counts255', 'tiny', 'one_nan']


def _array(dtype: str, shape: tuple, values: str, rng) -> np.ndarray:
    "An array of `shape` whose values follow `values`, cast to `dtype` (casts that overflow wrap silently, as they would for a user)."
    n = int(np.prod(shape)) if shape else 1
    base = {'unit': lambda: rng.random(n), 'zeros': lambda: np.zeros(n), 'const': lambda: np.full(n, 0.37),
            'nan': lambda: np.full(n, np.nan), 'inf': lambda: np.where(rng.random(n) < .5, np.inf, -np.inf),
            'negative': lambda: -rng.random(n) * 5, 'huge': lambda: rng.random(n) * 1e38, 'counts255': lambda: rng.integers(0, 256, n).astype(float),
            'tiny': lambda: rng.random(n) * 1e-30, 'one_nan': lambda: np.where(np.arange(n) == n // 2, np.nan, rng.random(n))}[values]().reshape(shape)
    dt = np.dtype(dtype)
    if dt.kind == 'O': return np.array(base.ravel().tolist() + [{'x': 1}], dtype=object)[:n].reshape(shape) if n else np.empty(shape, object)
    if dt.kind in 'USV': return np.full(shape, b'ab' if dt.kind != 'U' else 'ab', dtype=dt)
    if dt.kind == 'M': return (base * 1e6).astype('i8').astype(dt) if values not in ('nan', 'inf', 'one_nan') else np.full(shape, 'NaT', dt)
    with np.errstate(all='ignore'): return base.astype(dt)


def _header(descr, fortran, shape, version=(1, 0), extra: dict | None = None) -> bytes:
    "A .npy header written by hand (any descr, shape and version bytes), as numpy.lib.format lays it out."
    d = {'descr': descr, 'fortran_order': fortran, 'shape': shape, **(extra or {})}
    text = repr(d).encode('latin1', 'replace')
    fmt = '<H' if version[0] == 1 else '<I'
    pre = b'\x93NUMPY' + bytes(version) + struct.pack(fmt, 0)
    pad = 64 - (len(pre) + len(text) + 1) % 64
    text += b' ' * pad + b'\n'
    return b'\x93NUMPY' + bytes(version) + struct.pack(fmt, len(text)) + text


@st.composite
def npy_files(draw):
    "(description, file bytes) of one .npy file: a saved array, that array cut short or with a flipped header byte, an invented header, or noise."
    kind = draw(st.sampled_from(['array'] * 4 + ['truncated', 'flipped', 'header', 'noise']))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind in ('array', 'truncated', 'flipped'):
        dtype, shape, values = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(SHAPES)), draw(st.sampled_from(VALUES))
        buf = io.BytesIO(); np.save(buf, _array(dtype, shape, values, rng), allow_pickle=True); data = bytearray(buf.getvalue())
        what = f'{kind} {dtype} {shape} {values}'
        if kind == 'truncated':
            cut = draw(st.integers(0, max(len(data) - 1, 0))); data = data[:cut]; what += f' cut at byte {cut}'
        if kind == 'flipped':
            i, b = draw(st.integers(0, min(len(data), 128) - 1)), draw(st.integers(1, 255)); data[i] ^= b; what += f' byte {i} ^ {b}'
        return what, bytes(data)
    if kind == 'header':
        descr = draw(st.sampled_from(['<f4', '<f8', '|u1', '<i8', '|O', 'x', '', '<f4 ', "[('a', '<f4')]"]) | st.integers(-5, 5))
        dims = st.integers(-3, 40) | st.sampled_from([0, 32, 10**6, 10**12, 2**63 - 1, 2**64])
        shape = draw(st.lists(dims, max_size=5).map(tuple) | st.sampled_from([None, 'abc', 32, [1, 32, 32], (1.5, 32)]))
        fortran = draw(st.sampled_from([False, True, 'no', 0, None]))
        version = draw(st.sampled_from([(1, 0), (2, 0), (3, 0), (9, 9), (0, 1)]))
        extra = draw(st.sampled_from([None, {'x': 1}]))
        payload = draw(st.integers(0, 5000))
        return f'header descr={descr!r} shape={shape!r} fortran={fortran!r} version={version} +{payload} bytes', \
            _header(descr, fortran, shape, version, extra) + rng.bytes(payload)
    data = draw(st.binary(max_size=400))
    if draw(st.booleans()): data = b'\x93NUMPY' + data
    return f'noise of {len(data)} bytes', data


SCALES = st.sampled_from([None] * 8 + ['255', 'minmax', '0', '-1', 'nan', 'abc', '1e400'])


def _scale_args(scale) -> list:
    return [] if scale is None else ['--scale', scale]


@pytest.fixture(scope='module')
def ckpt(checkpoint) -> Path:
    return checkpoint


def _copy_checkpoint(ckpt: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ckpt, dest/'model.safetensors'); shutil.copy(ckpt.with_suffix('.json'), dest/'model.json')
    return dest/'model.safetensors'


@examples(200)
@given(f=npy_files(), scale=SCALES, resize=st.booleans(), pickle=st.booleans())
def test_npy_predict(ckpt, f, scale, resize, pickle):
    with workdir() as w:
        ck = _copy_checkpoint(ckpt, w/'ck'); (w/'img.npy').write_bytes(f[1]); note(f[0])
        check_command(['predict', 'img.npy', '--checkpoint', ck, '--out', 'p.csv', '--device', 'cpu', *_scale_args(scale),
                       *(['--resize'] if resize else []), *(['--allow-pickle'] if pickle else [])], w, 'npy file')


def _dataset_with(w: Path, data: bytes, where: str, counts={'train': 2, 'val': 2, 'test': 2}) -> Path:
    ds = make_dataset(w/'ds', counts)
    (ds/where).write_bytes(data)
    return ds


SPOTS = st.sampled_from(['train/no/0.npy', 'val/sphere/1.npy', 'test/vort/0.npy', 'test/no/extra.npy'])


@examples(200)
@given(f=npy_files(), spot=SPOTS, headers_only=st.booleans(), lenient=st.booleans())
def test_npy_validate(f, spot, headers_only, lenient):
    with workdir() as w:
        note(f[0]); _dataset_with(w, f[1], spot)
        check_command(['validate', 'ds', *(['--headers-only'] if headers_only else []), *(['--lenient'] if lenient else [])], w, 'npy file')


@examples(100)
@given(f=npy_files(), spot=SPOTS, scale=SCALES, tta=st.booleans())
def test_npy_evaluate(ckpt, f, spot, scale, tta):
    with workdir() as w:
        note(f[0]); ck = _copy_checkpoint(ckpt, w/'ck'); _dataset_with(w, f[1], spot)
        check_command(['evaluate', 'ds', '--checkpoint', ck, '--device', 'cpu', '--n-boot', '0', '--out', 'm.json',
                       *_scale_args(scale), *(['--tta'] if tta else [])], w, 'npy file')


@examples(40)
@given(f=npy_files(), scale=SCALES)
def test_npy_fit(f, scale):
    with workdir() as w:
        note(f[0]); (w/'img.npy').write_bytes(f[1])
        check_command(['fit', 'img.npy', '--out', 'fit', '--steps', '1', '--lbfgs-steps', '0', '--starts', '1', '--no-figures',
                       '--device', 'cpu', *_scale_args(scale)], w, 'npy file')


@examples(30)
@given(f=npy_files(), spot=st.sampled_from(['train/no/0.npy', 'val/sphere/1.npy', 'train/vort/extra.npy']), scale=SCALES)
def test_npy_train(f, spot, scale):
    with workdir() as w:
        note(f[0]); _dataset_with(w, f[1], spot, {'train': 2, 'val': 1})
        check_command(['train', '--data', 'ds', '--out', 'run', '--epochs', '1', '--batch-size', '3', '--device', 'cpu', '--quiet',
                       '--threads', '1', *_scale_args(scale)], w, 'npy file')


@examples(60)
@given(f=npy_files(), folder=st.sampled_from(['no_sub', 'cdm', 'axion']), seed=st.integers(0, 5))
def test_npy_import(f, folder, seed):
    with workdir() as w:
        note(f[0])
        rng = np.random.default_rng(seed)
        for c in ('no_sub', 'cdm', 'axion'):
            (w/'src'/c).mkdir(parents=True)
            for i in range(10): np.save(w/'src'/c/f'{i}.npy', rng.random((1, 32, 32), dtype=np.float32))
        (w/'src'/folder/'1.npy').write_bytes(f[1])
        check_command(['import', 'src', 'dest', '--seed', seed], w, 'npy file')


# ---- JSON: checkpoint sidecars and dataset manifests --------------------------------------------------------------
JSON_LEAVES = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
               | st.sampled_from([10**30, -1, 0, 3, 32, 4096, 10**9, 1e308, '', '150', 'no', '=1+1', '../x', 'x' * 20_000])
               | st.text(max_size=20))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=12)


@st.composite
def edited_json(draw, original: dict):
    "(description, file text): `original` with entries removed, replaced by random JSON, extra entries, or not JSON at all."
    kind = draw(st.sampled_from(['edit'] * 6 + ['not_object', 'not_json', 'empty', 'deep']))
    if kind == 'not_object': v = draw(JSON_VALUES.filter(lambda v: not isinstance(v, dict))); return f'top level {v!r:.60}', json.dumps(v)
    if kind == 'not_json': t = draw(st.text(max_size=50)); return f'text {t!r}', t + '{'
    if kind == 'empty': return 'empty file', ''
    if kind == 'deep': depth = draw(st.integers(100, 3000)); return f'nesting depth {depth}', json.dumps(original)[:-1] + ', "x": ' + '[' * depth + ']' * depth + '}'
    d, done = json.loads(json.dumps(original)), []
    keys = sorted(d)
    for k in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()): del d[k]; done.append(f'-{k}')
        else: d[k] = draw(JSON_VALUES); done.append(f'{k}={d[k]!r:.60}')
    for k, v in draw(st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=2)).items(): d.setdefault(k, v); done.append(f'+{k!r:.20}')
    if isinstance(d.get('model_kwargs'), dict) and draw(st.booleans()):  # one level down: the model's own arguments
        k = draw(st.sampled_from(sorted(d['model_kwargs']) or ['x'])); d['model_kwargs'][k] = draw(JSON_VALUES); done.append(f'model_kwargs.{k}')
    return 'edited ' + ', '.join(done), json.dumps(d)


@pytest.fixture(scope='module')
def sidecar(checkpoint) -> dict:
    return json.loads(checkpoint.with_suffix('.json').read_text())


def _img(w: Path) -> Path:
    np.save(w/'img.npy', np.random.default_rng(0).random((1, 32, 32), dtype=np.float32)); return w/'img.npy'


@examples(200)
@given(data=st.data(), command=st.sampled_from(['predict', 'evaluate']))
def test_sidecar(ckpt, sidecar, data, command):
    what, text = data.draw(edited_json(sidecar))
    with workdir() as w:
        note(what); ck = _copy_checkpoint(ckpt, w/'ck'); (w/'ck'/'model.json').write_text(text)
        if command == 'predict': argv = ['predict', _img(w).name, '--checkpoint', ck, '--out', 'p.csv', '--device', 'cpu']
        else: make_dataset(w/'ds', {'test': 2}); argv = ['evaluate', 'ds', '--checkpoint', ck, '--device', 'cpu', '--n-boot', '0']
        check_command(argv, w, 'checkpoint sidecar')


@pytest.fixture(scope='module')
def manifest(tmp_path_factory) -> tuple[Path, dict]:
    "A small simulated dataset (2 images per class and split) and its manifest."
    d = tmp_path_factory.mktemp('sim')/'ds'
    r = run_inproc('simulate', d, '--n-per-class', '1', '--no-progress', '--splits', 'train', 'val', 'test')
    assert r.returncode == 0, r.stderr
    return d, json.loads((d/'manifest.json').read_text())


@examples(150)
@given(data=st.data(), command=st.sampled_from(['validate', 'simulate', 'evaluate', 'train']))
def test_manifest(manifest, ckpt, data, command):
    src, original = manifest
    what, text = data.draw(edited_json(original))
    with workdir() as w:
        note(what); shutil.copytree(src, w/'ds'); (w/'ds'/'manifest.json').write_text(text)
        argv = {'validate': ['validate', 'ds'],
                'simulate': ['simulate', 'ds', '--n-per-class', '1', '--splits', 'train', 'val', 'test', '--reuse', '--no-progress'],
                'evaluate': ['evaluate', 'ds', '--checkpoint', _copy_checkpoint(ckpt, w/'ck'), '--device', 'cpu', '--n-boot', '0', '--resize'],
                'train': ['train', '--data', 'ds', '--out', 'run', '--epochs', '1', '--batch-size', '3', '--img-size', '32', '--device', 'cpu', '--quiet', '--threads', '1'],
                }[command]
        check_command(argv, w, 'dataset manifest')


# ---- archives ------------------------------------------------------------------------------------------------------
MEMBER_NAMES = (st.sampled_from(['dataset/train/no/1.npy', 'dataset/val/no/0.npy', 'dataset/train/cdm/0.npy', '../escape.npy', '/abs/x.npy',
                                 'dataset/../../up.npy', 'dataset/train/no/../../../../x', 'a/' * 40 + 'deep.npy', 'dataset/train/no/', '.', '',
                                 'dataset\\train\\no\\2.npy', './dataset/train/no/3.npy', './', './dataset/', 'dataset/train/no/\x00.npy', 'dataset/train/no/é.npy', 'C:/x.npy', 'manifest.json'])
                | st.lists(st.sampled_from(['dataset', 'train', 'val', 'no', 'sphere', '..', '.', 'x.npy', '0.npy']), min_size=1, max_size=5).map('/'.join))
MEMBER_KINDS = st.sampled_from(['file', 'file', 'file', 'dir', 'symlink', 'hardlink', 'chardev', 'fifo'])
LINK_TARGETS = st.sampled_from(['/etc/passwd', '../../outside', 'dataset/train/no/0.npy', 'missing', '.', ''])


@st.composite
def archives(draw):
    "(description, file name, bytes) of a zip or tar archive with random members, or a damaged one."
    fmt = draw(st.sampled_from(['zip', 'tar.gz', 'tar', 'tar.xz']))
    members = [('dataset/train/no/0.npy', 'file', None, 'npy')]
    for _ in range(draw(st.integers(0, 5))):
        members.append((draw(MEMBER_NAMES), draw(MEMBER_KINDS), draw(LINK_TARGETS), draw(st.sampled_from(['npy', 'bytes', 'empty', 'big']))))
    damage = draw(st.sampled_from([None] * 5 + ['truncate', 'noise']))
    buf = io.BytesIO()
    good = io.BytesIO(); np.save(good, np.random.default_rng(0).random((1, 32, 32), dtype=np.float32))
    payload = {'npy': good.getvalue(), 'bytes': b'not an image', 'empty': b'', 'big': bytes(300_000)}
    if fmt == 'zip':
        with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
            for name, kind, target, content in members:
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')  # duplicate names are part of what is generated
                    if kind == 'symlink':
                        info = zipfile.ZipInfo(name or 'x'); info.external_attr = (0o120777 << 16); z.writestr(info, target)
                    elif kind == 'dir': z.writestr((name.rstrip('/') or 'x') + '/', b'')
                    else: z.writestr(name or 'x', payload[content])
    else:
        with tarfile.open(fileobj=buf, mode={'tar': 'w', 'tar.gz': 'w:gz', 'tar.xz': 'w:xz'}[fmt]) as t:
            for name, kind, target, content in members:
                info = tarfile.TarInfo(name)
                if kind == 'file': info.size = len(payload[content]); t.addfile(info, io.BytesIO(payload[content])); continue
                info.type = {'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
                             'chardev': tarfile.CHRTYPE, 'fifo': tarfile.FIFOTYPE}[kind]
                if kind in ('symlink', 'hardlink'): info.linkname = target
                t.addfile(info)
    data = buf.getvalue()
    if damage == 'truncate': data = data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    if damage == 'noise': data = draw(st.binary(max_size=300))
    what = f"{fmt}{' ' + damage if damage else ''}: " + '; '.join(f'{k} {n!r:.50}' + (f' -> {t!r}' if k in ('symlink', 'hardlink') else f' ({c})')
                                                              for n, k, t, c in members)
    return what, f'data.{fmt}', data


@examples(250)
@given(a=archives(), overwrite=st.booleans(), existing=st.booleans())
def test_archive_download(a, overwrite, existing):
    what, name, data = a
    with workdir() as w:
        note(what); (w/name).write_bytes(data)
        if existing: make_dataset(w/'out'/'dataset', {'train': 1})  # an earlier dataset the command must not damage silently
        check_command(['download', 'out', '--archive', name, *(['--overwrite'] if overwrite else [])], w, 'archive', 'out' if overwrite else None)


# ---- argument values -----------------------------------------------------------------------------------------------
NUMBERS = (st.integers(-10**30, 10**30).map(str) | st.floats().map(repr) | st.sampled_from(['1', '2', '3', '8', '32', '0.5', '0.1', '1e-3', '0.8'])
           | st.sampled_from(['', ' ', '-1', '0', '1', '2', '1e999', 'nan', 'inf', '-inf', '0x10', '1_000', ' 3', '3.0', '１２', '٣', '1e-320', '--', '-']))
TEXTS = st.text(max_size=12) | st.sampled_from(['', '.', '..', '/', '-', '--help2', 'model_i', 'model_i_varied', 'cuda', 'cuda:7', 'cpu', 'meta', 'mps', 'auto'])
CHEAP = st.sampled_from(['1', '2']) | st.sampled_from(['0', '-1', 'x', '', '1e9', '99999999999999999999', 'nan', '1.5'])  # small, or invalid: never a long run

COMMAND_ARGS = {  # per command: the invariant, cheap base argv, and (option, values) pairs drawn at random
    'simulate': (['simulate', 'ds', '--no-progress'], [('--n-per-class', CHEAP), ('--seed', NUMBERS), ('--preset', TEXTS), ('--device', TEXTS),
                                                       ('--splits', TEXTS), ('--batch-size', NUMBERS), ('--workers', NUMBERS), ('--backend', TEXTS | st.sampled_from(['auto', 'eager']))]),
    'predict': (['predict', 'img.npy', '--checkpoint', 'ck/model.safetensors'], [('--out', TEXTS), ('--device', TEXTS), ('--batch-size', NUMBERS), ('--scale', TEXTS | NUMBERS)]),
    'evaluate': (['evaluate', 'ds', '--checkpoint', 'ck/model.safetensors'], [('--split', TEXTS), ('--device', TEXTS), ('--batch-size', NUMBERS),
                                                                         ('--n-boot', CHEAP), ('--seed', NUMBERS), ('--out', TEXTS), ('--scale', TEXTS | NUMBERS)]),
    'validate': (['validate', 'ds'], [('--splits', TEXTS)]),
    'fit': (['fit', 'img.npy', '--no-figures'], [('--out', TEXTS), ('--steps', CHEAP), ('--lbfgs-steps', CHEAP), ('--starts', CHEAP), ('--batch-size', NUMBERS),
                                                 ('--pixel-scale', NUMBERS), ('--psf-fwhm', NUMBERS), ('--device', TEXTS), ('--scale', TEXTS | NUMBERS)]),
    'train': (['train', '--data', 'ds', '--quiet'], [('--out', TEXTS), ('--epochs', CHEAP), ('--batch-size', NUMBERS), ('--lr', NUMBERS), ('--weight-decay', NUMBERS),
                                                     ('--patience', NUMBERS), ('--img-size', CHEAP), ('--preprocess', TEXTS | st.sampled_from(['none', 'equalize_hist', 'threshold+equalize_hist', 'equalize_hist+x'])), ('--augment', TEXTS | st.sampled_from(['d4', 'rotate', 'none'])), ('--amp', TEXTS | st.sampled_from(['auto', 'off', 'bf16'])),
                                                     ('--device', TEXTS), ('--seed', NUMBERS), ('--threads', NUMBERS), ('--model', TEXTS | st.sampled_from(['crop_resnet_d4', 'conv_lstm', 'densenet201'])), ('--model-arg', TEXTS)]),
    'import': (['import', 'src', 'dest'], [('--seed', NUMBERS), ('--fractions', NUMBERS), ('--batch-size', NUMBERS)]),
    'pipeline': (['pipeline', '--root', str(ROOT), '--dry-run'], [('--profile', TEXTS), ('--from', TEXTS), ('--to', TEXTS), ('--run-dir', TEXTS),
                                                                 ('-p', st.tuples(st.sampled_from(['N_TRAIN', 'EPOCHS', 'SEED', 'DEVICE', 'LR', 'TTA', 'NOPE']) | TEXTS, TEXTS | NUMBERS))]),
}


@st.composite
def command_lines(draw, command: str):
    base, options = COMMAND_ARGS[command]
    argv = list(base)
    for opt, values in draw(st.lists(st.sampled_from(options), max_size=4, unique_by=lambda o: o[0])):
        v = draw(values)
        argv += [opt, *v] if isinstance(v, tuple) else ([opt, v] if opt != '--fractions' else [opt, v, draw(NUMBERS), draw(NUMBERS)])
    if command == 'train' and '--out' not in argv: argv += ['--out', 'run']
    if command == 'fit' and '--out' not in argv: argv += ['--out', 'fit']
    if command == 'fit' and '--steps' not in argv: argv += ['--steps', '1', '--lbfgs-steps', '0', '--starts', '1']
    if command in ('train', 'evaluate', 'predict', 'fit') and '--device' not in argv: argv += ['--device', 'cpu']
    if command == 'train': argv += (['--epochs', '1'] if '--epochs' not in argv else []) + (['--batch-size', '3'] if '--batch-size' not in argv else [])
    if command == 'simulate' and '--n-per-class' not in argv: argv += ['--n-per-class', '1']
    if command == 'evaluate' and '--n-boot' not in argv: argv += ['--n-boot', '0']
    if command == 'predict' and '--out' not in argv: argv += ['--out', 'p.csv']
    return argv


def _inputs_for(w: Path, ckpt: Path):
    "Every file a command of COMMAND_ARGS reads: an image, a dataset, a checkpoint and an import source."
    _img(w); make_dataset(w/'ds', {'train': 2, 'val': 1, 'test': 1}); _copy_checkpoint(ckpt, w/'ck')
    for c in ('no_sub', 'cdm', 'axion'):
        (w/'src'/c).mkdir(parents=True)
        for i in range(10): np.save(w/'src'/c/f'{i}.npy', np.random.default_rng(i).random((1, 32, 32), dtype=np.float32))


@pytest.mark.parametrize('command', list(COMMAND_ARGS))
def test_arguments(ckpt, command):
    @examples({'train': 30, 'fit': 30, 'pipeline': 40}.get(command, 100))
    @given(argv=command_lines(command))
    def run(argv):
        with workdir() as w:
            _inputs_for(w, ckpt)
            check_command(argv, w, 'arguments')
    run()


@examples(150)
@given(tokens=st.lists(TEXTS | NUMBERS, max_size=6), command=st.sampled_from(['simulate', 'predict', 'evaluate', 'validate', 'fit', 'train', 'import', 'download']))
def test_random_tokens(ckpt, tokens, command):
    "Any words after a command: a refusal or a cheap run (an accidental dataset or fit stays inside the case's folder)."
    cheap = {'simulate': ['--n-per-class', '1', '--no-progress'], 'download': ['--archive', 'none.zip'], 'fit': ['--steps', '1', '--lbfgs-steps', '0', '--starts', '1', '--no-figures'],
             'train': ['--epochs', '1'], 'evaluate': ['--n-boot', '0']}.get(command, [])
    if command in ('simulate', 'train') and {'--n-per-class', '--epochs', '--steps-per-epoch'} & set(tokens): return
    with workdir() as w:
        _inputs_for(w, ckpt)
        check_command([command, *tokens, *cheap], w, 'arguments')


# ---- the failures the generators found while this suite was written, kept as fixed cases -------------------------------
FOUND = {}  # name -> {'build': (case folder, checkpoint) -> argv, 'input', 'before', 'fixed', 'status'}


def found(before: str, fixed: str, status: int):
    "Keep a case the generators found failing: what happened before the fix, what fixed it, and the exit status it has now."
    def register(build):
        FOUND[build.__name__] = dict(build=build, input=build.__doc__, before=before, fixed=fixed, status=status)
        return build
    return register


def _npy(arr) -> bytes:
    b = io.BytesIO(); np.save(b, arr, allow_pickle=False); return b.getvalue()


@found('tokenize.TokenError traceback from the header parser', '`darksub.io` reads every error of the header parser as a corrupt file', 2)
def header_length_bit_flipped(w, ck):
    "`validate` of a dataset with one .npy file whose header-length byte has one bit flipped"
    data = bytearray(_npy(np.random.default_rng(0).random((1, 32, 32), dtype=np.float32))); data[9] ^= 1
    make_dataset(w/'ds'); (w/'ds'/'train'/'no'/'0.npy').write_bytes(bytes(data))
    return ['validate', 'ds']


@found('TypeError traceback in the first forward pass', '`load_checkpoint` runs the model once on the meta device and refuses kwargs that fail', 2)
def sidecar_crop_null(w, ck):
    "`predict` with a sidecar whose model_kwargs.crop_arcsec is null (the model builds, its forward pass fails)"
    c = _copy_checkpoint(ck, w/'ck'); side = json.loads((w/'ck'/'model.json').read_text())
    side['model_kwargs']['crop_arcsec'] = None; (w/'ck'/'model.json').write_text(json.dumps(side))
    return ['predict', _img(w).name, '--checkpoint', c, '--out', 'p.csv', '--device', 'cpu']


@found('RuntimeWarning: overflow encountered in cast, then predictions of zeros', '`--scale` takes divisors up to 1e20', 2)
def scale_float32_max(w, ck):
    "`predict --scale 3.4028235677973366e+38`"
    return ['predict', _img(w).name, '--checkpoint', _copy_checkpoint(ck, w/'ck'), '--out', 'p.csv', '--device', 'cpu', '--scale', '3.4028235677973366e+38']


@found('RuntimeError traceback: PyTorch is not linked with support for mps devices', '`resolve_device` accepts cpu and cuda[:N] only, and N below the device count', 2)
def device_mps(w, ck):
    "`evaluate --device mps` on a machine without MPS"
    make_dataset(w/'ds', {'test': 1})
    return ['evaluate', 'ds', '--checkpoint', _copy_checkpoint(ck, w/'ck'), '--device', 'mps', '--n-boot', '0']


@found("KeyError 'step' traceback: fewer Adam steps than start-halving rounds", 'fewer than 4 steps run one round and keep the best start afterwards', 0)
def fit_one_step(w, ck):
    "`fit --steps 1` with the default 4 starts"
    return ['fit', _img(w).name, '--out', 'fit', '--steps', '1', '--lbfgs-steps', '0', '--no-figures', '--device', 'cpu']


@found('OverflowError traceback in the count-grid search (1 / smallest pixel step overflowed)', '`count_scale` looks for counts only on grids coarser than 2^-24', 0)
def fit_tiny_values(w, ck):
    "`fit` of an image whose pixels are all below 1e-30"
    np.save(w/'img.npy', np.random.default_rng(0).random((1, 32, 32)).astype(np.float32) * 1e-30)
    return ['fit', 'img.npy', '--out', 'fit', '--steps', '1', '--lbfgs-steps', '0', '--starts', '1', '--no-figures', '--device', 'cpu']


@found('ValueError traceback: embedded null byte', '`CommandParser` refuses an argument with a NUL character', 2)
def nul_in_argument(w, ck):
    "`pipeline --run-dir` with a NUL character in the path"
    return ['pipeline', '--root', ROOT, '--dry-run', '--run-dir', 'a\x00b']


def _reuse_without(w: Path, key: str) -> list:
    "A complete simulated dataset w/ds whose manifest lacks `key`, and the `simulate --reuse` command that finds it."
    r = run_inproc('simulate', w/'ds', '--n-per-class', '1', '--splits', 'test', '--no-progress'); assert r.returncode == 0, r.stderr
    m = json.loads((w/'ds'/'manifest.json').read_text()); m.pop(key); (w/'ds'/'manifest.json').write_text(json.dumps(m))
    return ['simulate', 'ds', '--n-per-class', '1', '--splits', 'test', '--reuse', '--no-progress']


@found("KeyError 'run' traceback after reusing a dataset", "a reused dataset's run record says `reused` and nothing written", 0)
def simulate_reuse_manifest_without_run(w, ck):
    "`simulate --reuse` on a complete dataset whose manifest lacks its 'run' entry"
    return _reuse_without(w, 'run')


@found('status 2, but the extracted files stayed; with --overwrite the old dataset was replaced by the broken one',
       '`safe_extract` checks the staged tree (`check`) before it replaces anything', 2)
def archive_with_bad_member_over_dataset(w, ck):
    "`download --archive --overwrite` of a zip whose second image is not a .npy file, over an existing dataset"
    make_dataset(w/'out'/'dataset', {'train': 1})
    with zipfile.ZipFile(w/'data.zip', 'w') as z:
        z.writestr('dataset/train/no/0.npy', _npy(np.random.default_rng(0).random((1, 32, 32), dtype=np.float32)))
        z.writestr('dataset/train/no/1.npy', b'not an image')
    return ['download', 'out', '--archive', 'data.zip', '--overwrite']


@found("the destination folder itself was deleted (a member '.' made '.' a top-level entry to replace), then an error",
       "archive member names lose their '.' parts before the top-level entries are chosen", 0)
def archive_dot_member(w, ck):
    "`download --archive --overwrite` of a tar.gz made with `tar -czf data.tgz .` (members '.', './dataset/...') into a folder with other files"
    make_dataset(w/'out'/'dataset', {'train': 1}); (w/'out'/'notes.txt').write_text('mine')
    with tarfile.open(w/'data.tgz', 'w:gz') as t:
        i = tarfile.TarInfo('.'); i.type = tarfile.DIRTYPE; t.addfile(i)
        for c in ('no', 'sphere', 'vort'):
            b = _npy(np.random.default_rng(len(c)).random((1, 32, 32), dtype=np.float32))
            i = tarfile.TarInfo(f'./dataset/train/{c}/0.npy'); i.size = len(b); t.addfile(i, io.BytesIO(b))
    return ['download', 'out', '--archive', 'data.tgz', '--overwrite']


@found('the usage (8 lines) and then the error: not one line', 'every command parses with `CommandParser`, whose errors are one line', 2)
def missing_argument(w, ck):
    "`simulate` without its output folder"
    return ['simulate']


@found("the message broke into two lines at the character", 'messages print control characters as escapes (`printable`)', 2)
def control_character_echoed(w, ck):
    "`validate ds --splits` with a record-separator character (0x1e) as the split name"
    make_dataset(w/'ds', {'train': 1})
    return ['validate', 'ds', '--splits', '\x1e']



@found('DeprecationWarning: invalid escape sequence, printed by the header parser', 'warnings of the header parser are a corrupt header too', 2)
def header_invalid_escape(w, ck):
    "`evaluate` of a dataset with a .npy file whose header text holds an invalid escape sequence (a flipped byte can make one)"
    data = _npy(np.random.default_rng(0).random((1, 32, 32), dtype=np.float32))
    data = data.replace(b"'descr'", b"'d\\:scr'", 1)
    make_dataset(w/'ds', {'test': 1}); (w/'ds'/'test'/'no'/'0.npy').write_bytes(data)
    return ['evaluate', 'ds', '--checkpoint', _copy_checkpoint(ck, w/'ck'), '--device', 'cpu', '--n-boot', '0']


@found("KeyError 'counts' traceback after reusing a dataset", 'the reuse line counts images only when the manifest lists them', 0)
def simulate_reuse_manifest_without_counts(w, ck):
    "`simulate --reuse` on a complete dataset whose manifest lacks its 'counts' entry"
    return _reuse_without(w, 'counts')


@found('an error (a member the tar filter dropped, a link to nothing, was still a top-level entry to move), and the dataset it had moved stayed',
       'the top-level entries are what was extracted', 0)
def archive_link_to_nothing(w, ck):
    "`download --archive` of a tar.gz with an image and a symbolic link `train` -> '' (the tar data filter drops it)"
    with tarfile.open(w/'data.tgz', 'w:gz') as t:
        b = _npy(np.random.default_rng(0).random((1, 32, 32), dtype=np.float32))
        i = tarfile.TarInfo('dataset/train/no/0.npy'); i.size = len(b); t.addfile(i, io.BytesIO(b))
        i = tarfile.TarInfo('train'); i.type, i.linkname = tarfile.SYMTYPE, ''; t.addfile(i)
    return ['download', 'out', '--archive', 'data.tgz']


@found('RuntimeError traceback: a fit window of 0 pixels', '`fit_lens` refuses a window under 8 pixels and names the pixel scale', 2)
def fit_window_empty(w, ck):
    "`fit --pixel-scale 6` of a 32-pixel image (a 3-arcsec half width is 0 pixels)"
    return ['fit', _img(w).name, '--out', 'fit', '--pixel-scale', '6', '--steps', '1', '--lbfgs-steps', '0', '--starts', '1', '--no-figures', '--device', 'cpu']

@pytest.mark.parametrize('name', list(FOUND))
def test_found(ckpt, name):
    "Each failure found while this suite was written, rerun through the same properties, with the status it has since its fix."
    with workdir() as w:
        argv = FOUND[name]['build'](w, ckpt)
        r = check_command(argv, w, 'found', 'out' if argv[0] == 'download' and '--overwrite' in argv else None)
        assert r.returncode == FOUND[name]['status'], (r.returncode, r.stderr)
        if name == 'archive_dot_member': assert (w/'out'/'notes.txt').read_text() == 'mine' and (w/'out'/'dataset'/'train'/'vort'/'0.npy').is_file()
