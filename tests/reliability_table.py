"""The README "Reliability" tables, from what the bad-input suites observed in this run.

    python tests/reliability_table.py            # runs both suites (about two minutes), prints markdown
    python tests/reliability_table.py --write    # also writes the README blocks <!-- reliability:properties --> and <!-- reliability:corpus -->
Properties (tests/test_properties.py, hypothesis `ci` profile): cases generated per command and kind of input, their
outcomes, the properties checked on every case, and the failures the generators found while the suite was written.
Corpus (tests/test_bad_inputs.py): each hand-written case, the command, how it was run, the exit status and the message."""
from __future__ import annotations
import collections, json, os, re, subprocess, sys, tempfile
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path[:0] = [str(here), str(here.parent)]


def run_suite(test: str, select: str | None = None) -> tuple[list[dict], str]:
    "Run one pytest file with DARKSUB_RELIABILITY_OUT set; (the recorded outcomes, pytest's last line)."
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)/'outcomes.jsonl'
        env = dict(os.environ, DARKSUB_RELIABILITY_OUT=str(out), DARKSUB_HYPOTHESIS='ci')
        r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(here/test), *(['-k', select] if select else [])],
                           env=env, capture_output=True, text=True, cwd=here.parent)
        rows = [json.loads(l) for l in out.read_text().splitlines()] if out.exists() else []
    return rows, (r.stdout.strip().splitlines() or ['(no output)'])[-1]


def properties_table(rows: list[dict], tail: str) -> str:
    from test_properties import FOUND, PROPERTIES
    gen = [x for x in rows if x['inputs'] != 'found']
    count = collections.Counter((x['command'], x['inputs']) for x in gen)
    done = collections.Counter((x['command'], x['inputs']) for x in gen if x['status'] == 0)
    lines = ['| command | generated input | cases | done (status 0) | refused (status 2) |', '|---|---|---|---|---|']
    lines += [f'| `{c}` | {k} | {n} | {done[(c, k)]} | {n - done[(c, k)]} |' for (c, k), n in sorted(count.items())]
    per_command = collections.Counter(x['command'] for x in gen)
    lines += ['', f"{len(gen)} generated cases ({', '.join(f'{c} {n}' for c, n in sorted(per_command.items()))}), every one checked for:", '']
    lines += [f'- {v}' for v in PROPERTIES.values()]
    lines += ['', f'Failures the generators found while the suite was written ({len(FOUND)}), fixed, and kept as fixed cases (`test_found`):', '',
              '| case | before the fix | fixed by | status now |', '|---|---|---|---|']
    lines += [f"| {v['input']} | {v['before']} | {v['fixed']} | {v['status']} |" for v in FOUND.values()]
    lines += ['', f'pytest (hypothesis profile `ci`): {tail}']
    return '\n'.join(lines).replace('\x00', '\\x00')


def corpus_table(rows: list[dict], tail: str) -> str:
    short = lambda s: re.sub(r'/[^\s\'"]*/ckpt\d+/', 'CKPT/', re.sub(r'/[^\s\'"]*/test_bad_input_[^/\s\'"]+(/|(?=[\s\'"]|$))', 'TMP/', s))
    cell = lambda s: short(s).replace('|', '\\|')
    lines = ['| # | case | command tried | run | status | message (stderr) |', '|---|---|---|---|---|---|']
    for i, x in enumerate(rows, 1):
        cmd = 'darksub ' + ' '.join(x['argv'])
        msg = x['message'] if len(x['message']) < 220 else x['message'][:217] + '...'
        lines.append(f"| {i} | {x['case']} | `{cell(cmd)}` | {'process' if x['mode'] == 'sub' else 'in process'} | {x['status']} | {cell(msg)} |")
    lines += ['', f"{len(rows)} inputs tried, {sum(x['status'] == 2 for x in rows)} refused with status 2; pytest: {tail}"]
    return '\n'.join(lines)


if __name__ == '__main__':
    prop = properties_table(*run_suite('test_properties.py'))
    corpus = corpus_table(*run_suite('test_bad_inputs.py', 'test_bad_input'))
    print(prop, '\n', corpus, sep='\n')
    if '--write' in sys.argv:
        from darksub.outputs import write_marked_block
        for key, text in (('reliability:properties', prop), ('reliability:corpus', corpus)):
            if not write_marked_block(here.parent/'README.md', key, text): sys.exit(f'README.md lacks the markers <!-- {key} --> ... <!-- /{key} -->')
        print('wrote README.md')
