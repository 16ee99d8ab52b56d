/**
 * Writes a tunekit study in Optuna's JournalStorage format (Optuna 3.1+, optuna/storages/_journal/storage.py): JSON lines of
 * operations, replayed by `JournalStorage(JournalFileStorage(path))` and by optuna-dashboard. One CREATE_STUDY, the study's
 * attributes, then one CREATE_TRIAL per trial carrying the whole finished trial (state, value(s), params with their
 * distributions, intermediate values, attributes, times): the form Optuna itself writes for `study.add_trial`.
 *
 * Mapping: nested/branch parameters are flattened (src/report/flatten.ts: `model` = the branch name, `model.mlp.units`...),
 * each with its Optuna distribution; choices that are not JSON scalars (lists, objects) become their JSON text, since Optuna's
 * CategoricalDistribution only holds None/bool/int/float/str. tunekit-only data goes to system attributes `tunekit:*`
 * (budget, metrics, pruning reason, searcher data, the original number); a failed trial's reason is `fail_reason` as in Optuna.
 */
import type { Direction, JsonValue, StudyRecord, TrialRecord, TrialState } from '../core/types.js';
import { flattenParams, flattenSpace, type FlatParam } from './flatten.js';

/** Optuna's JournalOperation codes. */
const OP = { CREATE_STUDY: 0, SET_STUDY_USER_ATTR: 2, SET_STUDY_SYSTEM_ATTR: 3, CREATE_TRIAL: 4 } as const;
/** Optuna's TrialState values. */
const STATE: { readonly [S in TrialState]: number } = { running: 0, complete: 1, pruned: 2, failed: 3, waiting: 4 };
/** Optuna's StudyDirection values. */
const DIRECTION: { readonly [D in Direction]: number } = { minimize: 1, maximize: 2 };

/** An Optuna distribution as `distribution_to_json` writes it (the JSON text of { name, attributes }). */
export function optunaDistribution(p: FlatParam): string {
  if (p.kind === 'categorical')
    return JSON.stringify({ name: 'CategoricalDistribution', attributes: { choices: (p.choices ?? []).map(optunaChoice) } });
  if (p.kind === 'int')
    return JSON.stringify({
      name: 'IntDistribution',
      attributes: { log: p.log === true, step: p.log ? 1 : (p.step ?? 1), low: p.low, high: p.high },
    });
  // Optuna forbids log together with step; a stepped log float keeps its log scale (the values stay on the grid anyway).
  const step = p.log || p.step === undefined ? null : p.step;
  return JSON.stringify({ name: 'FloatDistribution', attributes: { step, low: p.low, high: p.high, log: p.log === true } });
}

function optunaChoice(v: JsonValue): JsonValue {
  return v === null || typeof v !== 'object' ? v : JSON.stringify(v);
}

/**
 * JSON with Python's spelling of non-finite numbers (NaN, Infinity, -Infinity), which Python's json module reads back: a NaN
 * intermediate value stays NaN in Optuna instead of turning into None.
 */
function pyJson(value: unknown): string {
  if (typeof value === 'number')
    return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Naive ISO time with microseconds, as Optuna writes it (`datetime.isoformat(timespec="microseconds")`), in UTC. */
function pyTime(iso: string | undefined): string | null {
  if (!iso) return null;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return null;
  return `${t.toISOString().slice(0, 23)}000`;
}

/** The journal lines (without newlines) of one study. Trials are written in number order and renumbered 0.. by Optuna. */
export function optunaJournalLines(study: StudyRecord, trials: readonly TrialRecord[], workerId = 'tunekit-export'): string[] {
  const directions = (study.directions ?? [study.direction]).map((d) => DIRECTION[d]);
  const lines: string[] = [pyJson({ op_code: OP.CREATE_STUDY, worker_id: workerId, study_name: study.name, directions })];
  for (const [key, value] of Object.entries(study.userAttrs))
    lines.push(pyJson({ op_code: OP.SET_STUDY_USER_ATTR, worker_id: workerId, study_id: 0, user_attr: { [key]: value } }));
  const system: [string, JsonValue][] = [
    ['tunekit:searcher', study.searcher],
    ['tunekit:seed', study.seed],
    ['tunekit:space', study.space],
    ['tunekit:created', study.created],
  ];
  if (study.pruner !== undefined) system.push(['tunekit:pruner', study.pruner]);
  if (study.budget !== undefined) system.push(['tunekit:budget', { min: study.budget.min, max: study.budget.max }]);
  if (study.metrics !== undefined) system.push(['tunekit:metrics', [...study.metrics]]);
  for (const [key, value] of system)
    lines.push(pyJson({ op_code: OP.SET_STUDY_SYSTEM_ATTR, worker_id: workerId, study_id: 0, system_attr: { [key]: value } }));

  const flat = flattenSpace(study.space);
  const byName = new Map(flat.map((p) => [p.name, p]));
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    const values = flattenParams(t.params, flat);
    const distributions: { [name: string]: string } = {};
    const params: { [name: string]: number } = {};
    for (const [name, v] of values) {
      const p = byName.get(name) as FlatParam;
      if (p.kind === 'categorical' && v < 0) continue; // a value outside the stored choices cannot be expressed
      distributions[name] = optunaDistribution(p);
      params[name] = v;
    }
    const intermediate: { [step: string]: number } = {};
    for (const i of t.intermediate) intermediate[String(Math.round(i.step))] = i.value;
    const sys: { [key: string]: JsonValue } = { 'tunekit:number': t.number };
    if (t.budget !== undefined) sys['tunekit:budget'] = t.budget;
    if (t.metrics !== undefined) sys['tunekit:metrics'] = { ...t.metrics };
    if (t.state === 'pruned' && t.reason !== undefined) sys['tunekit:prune_reason'] = t.reason;
    if (t.state === 'failed') sys['fail_reason'] = [t.reason, t.error?.message].filter((s) => s !== undefined).join(': ') || 'failed';
    for (const [k, v] of Object.entries(t.system)) sys[`tunekit:system:${k}`] = v;
    const multi = t.values !== undefined && t.values.length > 1;
    const finished = t.state === 'complete' || t.state === 'pruned' || t.state === 'failed';
    lines.push(
      pyJson({
        op_code: OP.CREATE_TRIAL,
        worker_id: workerId,
        study_id: 0,
        datetime_start: t.state === 'waiting' ? null : pyTime(t.started ?? t.created),
        ...(finished ? { datetime_complete: pyTime(t.finished) ?? pyTime(t.started ?? t.created) } : {}),
        state: STATE[t.state],
        value: multi || t.state === 'failed' ? null : (t.value ?? null),
        values: multi ? [...(t.values as readonly number[])] : null,
        distributions,
        params,
        user_attrs: { ...t.userAttrs },
        system_attrs: sys,
        intermediate_values: intermediate,
      }),
    );
  }
  return lines;
}
