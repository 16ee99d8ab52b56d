/**
 * A sweep file's objectives and constraints: `objective: { metric | expression, direction }`, or several
 * `objectives: [{ metric, direction }, ...]`, and `constraints: ["latencyMs <= 5", ...]`. Expressions are compiled with
 * src/study/expressions.ts at validation time against the metrics the trainer reports (the built-in trainer's list, or for a
 * module trainable the names the expressions use, checked when trials report), so a typo is a listed problem before anything
 * runs. `sweepStudyOptions` turns the resolved sweep into createStudy's objective options.
 */
import { compileConstraint, compileExpression, EXPRESSION_FUNCTIONS } from '../study/expressions.js';
import type { ConstraintsFunction, DerivedMetrics } from '../study/objectives.js';
import type { Direction, Metrics } from '../core/types.js';
import { epochMetricNames } from '../../trials/metrics.js';

/** One objective of a resolved sweep: a reported metric, or an `expression` of metrics (then `metric` is the expression). */
export interface SweepObjective {
  readonly metric: string;
  readonly direction: Direction;
  /** A derived objective such as "valAccuracy - 0.01 * log10(paramCount)", computed from a trial's final metrics. */
  readonly expression?: string;
}

/** What the objective part of a sweep file resolves to. */
export interface ResolvedObjectives {
  readonly objective: SweepObjective;
  /** Two or more objectives (multi-objective sweeps); `objective` is the first. */
  readonly objectives?: readonly SweepObjective[];
  readonly constraints?: readonly string[];
}

type Task = 'classification' | 'regression';
const HARDWARE = [
  'paramCount',
  'modelBytes',
  'latencyMs',
  'latencyMs256',
  'latencyIqrMs',
  'latencyIqrMs256',
  'onnxBytes',
  'onnxLatencyMs',
  'onnxLatencyMs256',
  'onnxInt8Bytes',
  'onnxInt8LatencyMs',
  'onnxInt8LatencyMs256',
];

/**
 * The final metrics of a built-in trial (trials/ epoch metrics at the best epoch, test metrics, bestEpoch, epochs and the
 * hardware metrics of trials/measure.ts), for `tasks` (both when the sweep's task is not known before the data loads).
 */
export function builtinMetricNames(tasks: readonly Task[]): string[] {
  const names = new Set<string>();
  for (const task of tasks) {
    for (const n of builtinEpochMetrics(task)) {
      names.add(n);
      if (n.startsWith('val')) names.add(`test${n.slice(3)}`);
    }
  }
  return [...names, 'bestEpoch', 'epochs', ...HARDWARE];
}

/** Epoch-level metrics of the built-in trainer (trials/metrics.ts is pure: no TF.js is loaded into the controller). */
export function builtinEpochMetrics(task: Task): readonly string[] {
  return ['valLoss', 'trainLoss', ...epochMetricNames(task)];
}

/** The identifiers an expression uses (a module trainable's metrics are known only when trials report them). */
export function expressionNames(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/(?<![0-9.A-Za-z_])[A-Za-z_][A-Za-z0-9_]*/g)) {
    const name = m[0];
    if (!(EXPRESSION_FUNCTIONS as readonly string[]).includes(name) && name !== 'pi' && name !== 'e') out.add(name);
  }
  return [...out];
}

const isObject = (v: unknown): v is { readonly [key: string]: unknown } => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/**
 * Checks `objective` / `objectives` / `constraints` of a sweep file; `add(path, message)` collects problems. `metricNames` is
 * every metric the trainer reports (undefined: a module trainable, whose names are taken from the expressions).
 */
export function checkSweepObjectives(
  raw: { readonly [key: string]: unknown },
  metricNames: readonly string[] | undefined,
  add: (at: string, message: string) => void,
): ResolvedObjectives {
  const namesFor = (expr: string) => metricNames ?? expressionNames(expr);
  const one = (o: unknown, at: string, allowExpression: boolean): SweepObjective | undefined => {
    const example = allowExpression
      ? '{ "metric": "valAccuracy", "direction": "maximize" } or { "expression": "...", "direction": "maximize" }'
      : '{ "metric": "valAccuracy", "direction": "maximize" }';
    if (!isObject(o)) {
      add(at, `must be ${example}, got ${show(o)}`);
      return undefined;
    }
    const known = allowExpression ? ['metric', 'expression', 'direction'] : ['metric', 'direction'];
    for (const k of Object.keys(o)) if (!known.includes(k)) add(`${at}.${k}`, `unknown field; the fields here are: ${known.join(', ')}`);
    const dir = o['direction'] ?? 'minimize';
    if (dir !== 'minimize' && dir !== 'maximize') add(`${at}.direction`, `must be "minimize" or "maximize", got ${show(dir)}`);
    const direction: Direction = dir === 'maximize' ? 'maximize' : 'minimize';
    if (o['expression'] !== undefined) {
      if (o['metric'] !== undefined) add(at, 'give `metric` or `expression`, not both');
      const expr = o['expression'];
      if (typeof expr !== 'string') {
        add(`${at}.expression`, `must be a string such as "valAccuracy - 0.01 * log10(paramCount)", got ${show(expr)}`);
        return undefined;
      }
      try {
        compileExpression(expr, namesFor(expr));
      } catch (e) {
        add(`${at}.expression`, (e as Error).message);
        return undefined;
      }
      return { metric: expr, direction, expression: expr };
    }
    const metric = o['metric'];
    if (typeof metric !== 'string' || !metric) {
      add(`${at}.metric`, `must name the metric to optimise (e.g. "valAccuracy"), got ${show(metric)}`);
      return undefined;
    }
    // A single `objective.metric` is checked by check-builtin.ts against the dataset's task (epoch metrics only).
    if (!allowExpression && metricNames && !metricNames.includes(metric))
      add(`${at}.metric`, `the built-in trainer reports ${metricNames.join(', ')}; got ${show(metric)}`);
    return { metric, direction };
  };

  let objective: SweepObjective = { metric: 'valLoss', direction: 'minimize' };
  let objectives: SweepObjective[] | undefined;
  if (raw['objectives'] !== undefined) {
    const list = raw['objectives'];
    if (raw['objective'] !== undefined) add('objectives', 'give `objective` (one) or `objectives` (several), not both');
    if (!Array.isArray(list) || list.length < 2) {
      add(
        'objectives',
        `must list 2 or more objectives such as [{ "metric": "valAccuracy", "direction": "maximize" }, { "metric": "latencyMs", "direction": "minimize" }], got ${show(list)}`,
      );
    } else {
      const parsed = list.map((o, i) => one(o, `objectives[${i}]`, false));
      if (parsed.every((o): o is SweepObjective => o !== undefined)) {
        const names = parsed.map((o) => o.metric);
        if (new Set(names).size !== names.length) add('objectives', `each metric may appear once, got ${names.join(', ')}`);
        objectives = parsed;
        objective = parsed[0]!;
      }
    }
  } else if (raw['objective'] !== undefined) {
    objective = one(raw['objective'], 'objective', true) ?? objective;
  }

  let constraints: string[] | undefined;
  const cs = raw['constraints'];
  if (cs !== undefined) {
    if (!Array.isArray(cs) || cs.length === 0)
      add('constraints', `must be a non-empty list such as ["latencyMs <= 5", "paramCount <= 2e5"], got ${show(cs)}`);
    else {
      cs.forEach((c, i) => {
        if (typeof c !== 'string') return add(`constraints[${i}]`, `must be a string such as "latencyMs <= 5", got ${show(c)}`);
        try {
          compileConstraint(c, namesFor(c));
        } catch (e) {
          add(`constraints[${i}]`, (e as Error).message);
        }
      });
      constraints = cs as string[];
    }
  }
  return { objective, ...(objectives ? { objectives } : {}), ...(constraints ? { constraints } : {}) };
}

/** The metric (and direction) the built-in trainer reports each epoch and picks its best epoch by. */
export function sweepTrainerObjective(r: ResolvedObjectives): { readonly metric: string; readonly direction: Direction } {
  return r.objective.expression !== undefined
    ? { metric: 'valLoss', direction: 'minimize' }
    : { metric: r.objective.metric, direction: r.objective.direction };
}

/** createStudy's objective options for a resolved sweep: directions, metrics, the derived objective and the constraints. */
export function sweepStudyOptions(
  r: ResolvedObjectives,
  metricNames: readonly string[] | undefined,
): {
  readonly direction: Direction;
  readonly directions?: readonly Direction[];
  readonly metric?: string;
  readonly metrics?: readonly string[];
  readonly derivedMetrics?: DerivedMetrics;
  readonly constraints?: ConstraintsFunction<unknown>;
} {
  const namesFor = (expr: string) => metricNames ?? expressionNames(expr);
  const list = r.objectives ?? [r.objective];
  const derived: { [name: string]: (m: Metrics) => number } = {};
  for (const o of list) {
    if (o.expression !== undefined) {
      const f = compileExpression(o.expression, namesFor(o.expression));
      derived[o.metric] = (m) => f(m);
    }
  }
  const compiled = (r.constraints ?? []).map((c) => compileConstraint(c, namesFor(c)));
  return {
    direction: list[0]!.direction,
    ...(list.length > 1 ? { directions: list.map((o) => o.direction), metrics: list.map((o) => o.metric) } : { metric: list[0]!.metric }),
    ...(Object.keys(derived).length > 0 ? { derivedMetrics: derived } : {}),
    ...(compiled.length > 0 ? { constraints: (m: Metrics) => compiled.map((c) => c(m)) } : {}),
  };
}

/**
 * The metrics a sweep's trainer reports, for its expressions: the built-in trainer's (for the dataset's task, or both tasks
 * when a table's task is only known once it loads); undefined for a module trainable.
 */
export function sweepMetricNames(sweep: { readonly trainable?: unknown; readonly dataset?: unknown }): string[] | undefined {
  if (sweep.trainable !== undefined && sweep.trainable !== 'builtin') return undefined;
  const d = isObject(sweep.dataset) ? sweep.dataset : {};
  const tasks: Task[] =
    d['type'] === 'mnist'
      ? ['classification']
      : d['task'] === 'classification' || d['task'] === 'regression'
        ? [d['task']]
        : ['classification', 'regression'];
  return builtinMetricNames(tasks);
}
