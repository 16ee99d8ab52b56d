/**
 * tunekit's fANOVA importance against Optuna 3.1's FanovaImportanceEvaluator on the same trials, on a function with a known
 * variance decomposition:
 *
 *   f = 10 x^2 + 2 y + 0.5 [c = "b"],  x, y ~ U[-1, 1], z ~ logU[1e-3, 1] (no effect), c in {a, b, c}
 *   main-effect variance shares: x 0.862, y 0.129, c 0.005, z 0
 *
 *   node --import tsx bench/importance.ts [--trials 200] [--seed 1]
 *
 * Optuna's side runs /usr/bin/python3 on the study exported in Optuna's journal format (src/report/optuna-journal.ts); it needs
 * python3-optuna and python3-sklearn (Optuna fits its forest with scikit-learn). Without them only tunekit's figures print.
 *
 * Recorded 2026-12-04 (200 trials, seed 1): tunekit x 0.9099 (refits 0.9094-0.9105), y 0.0889, z 0.0009, c 0.0003, 683 ms.
 * Optuna 3.1 (python3-sklearn installed, same 200 trials, 64 trees, seeds 0-2): x 0.9076, y 0.0911, z 0.0003, c 0.0009 — the
 * same ranking, every share within 0.003 of tunekit's. The decomposition itself is checked against
 * Optuna 3.1's _FanovaTree on identical trees in test/report/fanova-optuna.test.ts (agreement to 1e-9 on 108 fractions), so
 * a difference can only come from the forests (sklearn's CART vs src/report/importance/forest.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { StudyRecord, TrialRecord } from '../src/core/types.js';
import { flattenSpace } from '../src/report/flatten.js';
import { computeImportance } from '../src/report/importance/index.js';
import { optunaJournalLines } from '../src/report/optuna-journal.js';
import { knownStudy } from '../test/report/fixtures.js';

const { values } = parseArgs({ options: { trials: { type: 'string' }, seed: { type: 'string' } } });
const n = Number(values.trials ?? 200);
const seed = Number(values.seed ?? 1);

const OPTUNA = String.raw`
import sys, json, warnings
warnings.simplefilter('ignore')
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
from optuna.storages import JournalStorage, JournalFileStorage
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
study = optuna.load_study(study_name='importance-bench', storage=JournalStorage(JournalFileStorage(sys.argv[1])))
runs = [get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=s)) for s in range(3)]
print(json.dumps(runs))
`;

function optunaImportances(study: StudyRecord, trials: readonly TrialRecord[]): { [name: string]: number }[] | string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-importance-'));
  try {
    const journal = path.join(dir, 'journal.log');
    fs.writeFileSync(journal, `${optunaJournalLines(study, trials).join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'fanova.py'), OPTUNA);
    const out = execFileSync('/usr/bin/python3', [path.join(dir, 'fanova.py'), journal], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out) as { [name: string]: number }[];
  } catch (error) {
    // execFileSync with an encoding: the error's stderr is a string (absent when python3 could not be started at all).
    const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
    return stderr.includes('sklearn') || stderr.includes('scikit-learn')
      ? 'Optuna needs scikit-learn for FanovaImportanceEvaluator: install python3-sklearn (apt-get install python3-sklearn)'
      : `Optuna could not run: ${stderr.trim().split('\n').slice(-1)[0]}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const { study, trials } = knownStudy(n, seed);
const t0 = performance.now();
const ours = computeImportance(trials, flattenSpace(study.space), { seed });
const ms = performance.now() - t0;
console.log(`${n} trials, seed ${seed}; expected main-effect shares: x 0.862, y 0.129, c 0.005, z 0`);
console.log(`tunekit ${ours.method}, ${ms.toFixed(0)} ms:`);
for (const p of ours.params)
  console.log(`  ${p.name.padEnd(3)} ${p.importance.toFixed(4)}  (refits ${p.min.toFixed(4)} to ${p.max.toFixed(4)})`);
const theirs = optunaImportances(study, trials);
if (typeof theirs === 'string') console.log(`Optuna 3.1 FanovaImportanceEvaluator: not measured. ${theirs}`);
else {
  console.log('Optuna 3.1 FanovaImportanceEvaluator (64 trees, seeds 0, 1, 2):');
  for (const p of ours.params) {
    const v = theirs.map((r) => r[p.name] ?? 0);
    console.log(
      `  ${p.name.padEnd(3)} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(4)}  (seeds ${Math.min(...v).toFixed(4)} to ${Math.max(...v).toFixed(4)})`,
    );
  }
}
