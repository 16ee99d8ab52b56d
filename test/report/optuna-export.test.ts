/**
 * The Optuna journal export, read back by the real reader: Debian's python3-optuna (3.1) loads the file with
 * JournalStorage(JournalFileStorage(...)) and every trial must agree (state, params, distributions, values, intermediate values,
 * attributes). Fails (never skips) when /usr/bin/python3 cannot import optuna.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optunaJournalLines } from '../../src/report/optuna-journal.js';
import { flattenParams, flattenSpace, choiceLabel } from '../../src/report/flatten.js';
import { syntheticStudy } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const READER = String.raw`
import json, math, sys, warnings
warnings.simplefilter('ignore')
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
from optuna.storages import JournalStorage, JournalFileStorage
study = optuna.load_study(study_name=sys.argv[2], storage=JournalStorage(JournalFileStorage(sys.argv[1])))
def num(v):
    return 'nan' if isinstance(v, float) and math.isnan(v) else v
out = {'name': study.study_name, 'directions': [d.name for d in study.directions], 'user_attrs': study.user_attrs,
       'system_keys': sorted(study.system_attrs.keys()), 'trials': []}
for t in study.get_trials(deepcopy=False):
    out['trials'].append({'number': t.number, 'state': t.state.name, 'value': num(t.value) if len(study.directions) == 1 else None,
        'values': t.values if len(study.directions) > 1 else None,
        'params': t.params, 'distributions': {k: type(d).__name__ + (':log' if getattr(d, 'log', False) else '') for k, d in t.distributions.items()},
        'intermediate': {str(k): num(v) for k, v in t.intermediate_values.items()}, 'user_attrs': t.user_attrs,
        'system_attrs': t.system_attrs, 'started': t.datetime_start is not None, 'completed': t.datetime_complete is not None})
print(json.dumps(out))
`;

interface PyTrial {
  number: number;
  state: string;
  value: number | string | null;
  values: number[] | null;
  params: Record<string, unknown>;
  distributions: Record<string, string>;
  intermediate: Record<string, number | string>;
  user_attrs: Record<string, unknown>;
  system_attrs: Record<string, unknown>;
  started: boolean;
  completed: boolean;
}

function readWithOptuna(
  lines: string[],
  name: string,
): { name: string; directions: string[]; user_attrs: Record<string, unknown>; system_keys: string[]; trials: PyTrial[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-optuna-'));
  try {
    const file = path.join(dir, 'journal.log');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'read.py'), READER);
    const out = execFileSync(PYTHON, [path.join(dir, 'read.py'), file, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out) as ReturnType<typeof readWithOptuna>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const STATES = { complete: 'COMPLETE', pruned: 'PRUNED', failed: 'FAIL', running: 'RUNNING', waiting: 'WAITING' } as const;

test('Optuna 3.1 loads the exported journal and agrees on every trial', () => {
  const { study, trials } = syntheticStudy({ trials: 40, seed: 3, budgets: true });
  const py = readWithOptuna(optunaJournalLines(study, trials), study.name);
  assert.is(py.name, study.name);
  assert.equal(py.directions, ['MINIMIZE']);
  assert.equal(py.user_attrs, { owner: 'tests' });
  assert.ok(py.system_keys.includes('tunekit:space'));
  assert.is(py.trials.length, trials.length);
  const flat = flattenSpace(study.space);
  const states = new Set<string>();
  for (const t of trials) {
    const p = py.trials[t.number] as PyTrial;
    states.add(p.state);
    assert.is(p.state, STATES[t.state], `state of #${t.number}`);
    assert.is(p.value, t.state === 'failed' ? null : Number.isNaN(t.value) ? 'nan' : (t.value ?? null), `value of #${t.number}`);
    // Params: flattened, categorical values as their labels (list choices as JSON text), numbers unchanged.
    const expected: Record<string, unknown> = {};
    for (const [name, v] of flattenParams(t.params, flat)) {
      const fp = flat.find((f) => f.name === name)!;
      const c = fp.kind === 'categorical' ? fp.choices![v]! : v;
      expected[name] = fp.kind === 'categorical' && typeof c === 'object' && c !== null ? choiceLabel(c) : c;
    }
    assert.equal(p.params, expected, `params of #${t.number}`);
    assert.is(p.distributions['lr'], 'FloatDistribution:log');
    assert.is(p.distributions['layers'], 'IntDistribution');
    assert.is(p.distributions['model'], 'CategoricalDistribution');
    if (p.params['model'] === 'cnn') assert.is(p.distributions['model.cnn.filters'], 'IntDistribution:log');
    const iv: Record<string, number | string> = {};
    for (const i of t.intermediate) iv[String(i.step)] = Number.isNaN(i.value) ? 'nan' : i.value;
    assert.equal(p.intermediate, iv, `intermediate values of #${t.number}`);
    assert.equal(p.user_attrs, t.userAttrs);
    assert.is(p.system_attrs['tunekit:number'], t.number);
    assert.is(p.system_attrs['tunekit:budget'], t.budget);
    if (t.state === 'pruned') assert.is(p.system_attrs['tunekit:prune_reason'], t.reason);
    if (t.state === 'failed') assert.is(p.system_attrs['fail_reason'], 'error: loss became NaN');
    if (typeof t.system['continueFrom'] === 'number') assert.is(p.system_attrs['tunekit:system:continueFrom'], t.system['continueFrom']);
    assert.is(p.started, t.state !== 'waiting');
    assert.is(p.completed, t.state === 'complete' || t.state === 'pruned' || t.state === 'failed');
  }
  assert.equal([...states].sort(), ['COMPLETE', 'FAIL', 'PRUNED', 'RUNNING', 'WAITING']);
});

test('a multi-objective study keeps its directions and per-trial values', () => {
  const { study, trials } = syntheticStudy({ trials: 12, seed: 4, multiObjective: true });
  const py = readWithOptuna(optunaJournalLines(study, trials), study.name);
  assert.equal(py.directions, ['MINIMIZE', 'MAXIMIZE']);
  for (const t of trials) if (t.values) assert.equal(py.trials[t.number]!.values, [...t.values]);
  assert.ok(trials.some((t) => t.values));
});

test('hostile text in names, choices and reasons survives the round trip unchanged', () => {
  const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)> "quotes" \\ back\nline`;
  const { study, trials } = syntheticStudy({ trials: 10, seed: 5, hostile });
  const py = readWithOptuna(optunaJournalLines(study, trials), study.name);
  assert.is(py.name, study.name);
  const withHostile = trials.filter((t) => t.params['act'] === hostile);
  assert.ok(withHostile.length > 0);
  for (const t of withHostile) assert.is(py.trials[t.number]!.params['act'], hostile);
});

test.run();
