/**
 * Which pruners can decide for a multi-objective study. Pruners that compare trials by their objective value (median,
 * percentile, threshold, patience) would rank by the first objective alone and silently ignore the others, so createStudy
 * refuses them, as Optuna does; diagnostic pruners (nan_guard, exploding, vanishing, diverging, overfitting, plateau) read
 * training signals and keep working.
 */
import { OptionsError } from '../core/errors.js';
import type { PrunerSpec } from '../pruners/spec.js';
import type { Pruner } from '../pruners/types.js';

/** Built-in pruner types that compare objective values across trials. */
export const SINGLE_OBJECTIVE_PRUNERS: readonly string[] = ['median', 'percentile', 'threshold', 'patience'];

/** The first pruner type inside a spec or Pruner that needs one objective, or undefined. Walks `any`/`all` specs' `of`. */
function singleObjectiveType(p: Pruner | PrunerSpec | undefined): string | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'string') return SINGLE_OBJECTIVE_PRUNERS.includes(p) ? p : undefined;
  if (p === null || typeof p !== 'object') return undefined;
  const o = p as { readonly type?: unknown; readonly singleObjective?: unknown; readonly of?: unknown; readonly decide?: unknown };
  if (o.singleObjective === true) return typeof o.type === 'string' ? o.type : 'custom';
  if (typeof o.type === 'string' && SINGLE_OBJECTIVE_PRUNERS.includes(o.type)) return o.type;
  if (typeof o.decide !== 'function' && Array.isArray(o.of)) {
    for (const child of o.of as readonly PrunerSpec[]) {
      const found = singleObjectiveType(child);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Throws an OptionsError naming the pruner when it needs one objective and the study has `objectives` (> 1) of them.
 * Composite Pruner objects built in code (`any([...])`) hide their members; their specs are checked member by member.
 */
export function checkPrunerObjectives(pruner: Pruner | PrunerSpec | undefined, objectives: number): void {
  if (objectives <= 1) return;
  const type = singleObjectiveType(pruner);
  if (type === undefined) return;
  throw new OptionsError(
    `pruner "${type}" compares trials by one objective value, but this study has ${objectives} objectives; ` +
      `drop it, or use a diagnostic pruner (nan_guard, exploding, vanishing, diverging, overfitting, plateau)`,
  );
}
