/**
 * Flat parameter view of a nested tunekit space, shared by the report (importance, parallel coordinates, slices) and the
 * Optuna export. A branch `model: { mlp: {...}, cnn: {...} }` becomes the categorical `model` (the branch name) plus the
 * conditional parameters `model.mlp.units`, `model.cnn.filters`...: the branch name stays in the path because two branches may
 * hold parameters of the same key with different ranges (Optuna rejects one name with two distributions).
 */
import type { JsonValue, Params } from '../core/types.js';
import type { SpaceJson } from '../../spaces/types.js';

/** One flat parameter: its dotted path and its distribution. */
export interface FlatParam {
  /** Dotted path, e.g. `lr`, `model` (a branch's choice), `model.mlp.units`. */
  readonly name: string;
  readonly kind: 'float' | 'int' | 'categorical';
  /** Numeric bounds (float/int). */
  readonly low?: number;
  readonly high?: number;
  readonly log?: boolean;
  readonly step?: number;
  /** Categorical values as given (bool: [false, true]; branch: the branch names). */
  readonly choices?: readonly JsonValue[];
  /** A branch's choice (its value is the `type` of the params object at `name`). */
  readonly branch?: boolean;
  /** Conditional: only set when every branch on its path was taken (the branch paths, e.g. `model=mlp`). */
  readonly condition?: string;
}

/** Label of a categorical value: strings as they are, everything else as compact JSON. */
export function choiceLabel(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const isRecord = (v: unknown): v is { [k: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens a stored space (the `_type` JSON form) into its parameters, depth-first in key order. */
export function flattenSpace(space: SpaceJson): FlatParam[] {
  const out: FlatParam[] = [];
  const walk = (node: JsonValue, name: string, condition: string | undefined): void => {
    if (!isRecord(node)) return;
    const type = node['_type'];
    const cond = condition !== undefined ? { condition } : {};
    if (typeof type !== 'string') {
      for (const [k, v] of Object.entries(node)) walk(v, name ? `${name}.${k}` : k, condition);
      return;
    }
    if (type === 'float' || type === 'int') {
      const step = typeof node['step'] === 'number' ? node['step'] : type === 'int' ? 1 : undefined;
      out.push({
        name,
        kind: type,
        low: Number(node['low']),
        high: Number(node['high']),
        log: node['log'] === true,
        ...(step !== undefined ? { step } : {}),
        ...cond,
      });
    } else if (type === 'bool') {
      out.push({ name, kind: 'categorical', choices: [false, true], ...cond });
    } else if (type === 'choice') {
      out.push({ name, kind: 'categorical', choices: Array.isArray(node['values']) ? node['values'] : [], ...cond });
    } else if (type === 'branch') {
      const branches = isRecord(node['branches']) ? node['branches'] : {};
      out.push({ name, kind: 'categorical', choices: Object.keys(branches), branch: true, ...cond });
      for (const [b, body] of Object.entries(branches)) {
        const c = `${name}=${b}`;
        walk(body, `${name}.${b}`, condition !== undefined ? `${condition}, ${c}` : c);
      }
    }
  };
  walk(space as JsonValue, '', undefined);
  return out;
}

/**
 * Flat values of one trial's params for the given flat parameters: numbers for float/int, the choice's index for categorical
 * parameters (-1 when the value is not among the choices), absent for inactive conditional parameters.
 */
export function flattenParams(params: Params, flat: readonly FlatParam[]): Map<string, number> {
  const out = new Map<string, number>();
  const branches = new Set(flat.filter((p) => p.branch).map((p) => p.name));
  for (const p of flat) {
    const v = lookup(params, p.name, branches);
    if (v === undefined) continue;
    if (p.kind === 'categorical') {
      const key = JSON.stringify(v);
      out.set(
        p.name,
        (p.choices ?? []).findIndex((c) => JSON.stringify(c) === key),
      );
    } else if (typeof v === 'number') out.set(p.name, v);
  }
  return out;
}

/**
 * The raw value at a flat path: `model` -> params.model.type; `model.mlp.units` -> params.model.units when params.model.type
 * is `mlp`, else undefined (inactive).
 */
function lookup(params: Params, name: string, branches: ReadonlySet<string>): JsonValue | undefined {
  let node: JsonValue | undefined = params;
  let prefix = '';
  for (const part of name.split('.')) {
    if (!isRecord(node)) return undefined;
    if (branches.has(prefix)) {
      // `part` is a branch name: active only if it is the branch taken; the branch's keys sit on the same object.
      if (node['type'] !== part) return undefined;
    } else node = node[part];
    prefix = prefix ? `${prefix}.${part}` : part;
  }
  if (branches.has(name)) return isRecord(node) ? node['type'] : undefined;
  return node;
}
