"""Print the README "Reliability" table from what tests/test_bad_inputs.py actually observed.

    python tests/reliability_table.py            # runs the corpus (about a minute), prints markdown
Each row: the case, the command tried (paths shortened), how it was run, the exit status, and the message."""
from __future__ import annotations
import json, os, re, subprocess, sys, tempfile
from pathlib import Path

here = Path(__file__).resolve().parent
with tempfile.TemporaryDirectory() as d:
    out = Path(d)/'outcomes.jsonl'
    env = dict(os.environ, DARKSUB_RELIABILITY_OUT=str(out))
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(here/'test_bad_inputs.py'), '-k', 'test_bad_input'],
                       env=env, capture_output=True, text=True)
    rows = [json.loads(l) for l in out.read_text().splitlines()]
tail = r.stdout.strip().splitlines()[-1]
short = lambda s: re.sub(r'/[^\s\'"]*/ckpt\d+/', 'CKPT/', re.sub(r'/[^\s\'"]*/test_bad_input_[^/\s\'"]+(/|(?=[\s\'"]|$))', 'TMP/', s))
cell = lambda s: short(s).replace('|', '\\|')
print(f"| # | case | command tried | run | status | message (stderr) |\n|---|---|---|---|---|---|")
for i, x in enumerate(rows, 1):
    cmd = 'darksub ' + ' '.join(x['argv'])
    msg = x['message'] if len(x['message']) < 220 else x['message'][:217] + '...'
    print(f"| {i} | {x['case']} | `{cell(cmd)}` | {'process' if x['mode'] == 'sub' else 'in process'} | {x['status']} | {cell(msg)} |")
print(f"\n{len(rows)} inputs tried, {sum(x['status'] == 2 for x in rows)} refused with status 2; pytest: {tail}")
