/**
 * Composition: `any([...])` prunes when a member prunes, `all([...])` when every member does. Members are asked in the given
 * order with the same request; composites are as stateless as their members.
 *
 * Reasons: `any` stops at the first member that prunes and uses its reason as is (put the cheap, decisive checks such as
 * `nanGuard()` first); with `{ reasons: 'all' }` it asks every member and joins the reasons of all pruning members with "; ".
 * `all` stops at the first member that does not prune; when every member prunes, their reasons are joined with "; ".
 */
import { OptionsError } from '../core/errors.js';
import type { Pruner, PruneDecision, PruneRequest } from './types.js';
import { CONTINUE, prune } from './history.js';
import { describe, OptionReader } from './options.js';

export interface AnyOptions {
  /** 'first' (default): the first pruning member's reason, later members are not asked; 'all': every pruning member's reason. */
  readonly reasons?: 'first' | 'all';
}

function members(type: string, pruners: unknown): readonly Pruner[] {
  if (!Array.isArray(pruners) || pruners.length === 0) {
    throw new OptionsError(`${type}() needs a non-empty array of pruners, e.g. ${type}([median(), nanGuard()]), got ${describe(pruners)}`);
  }
  pruners.forEach((p: unknown, i) => {
    if (p === null || typeof p !== 'object' || typeof (p as Partial<Pruner>).decide !== 'function') {
      throw new OptionsError(`${type}(): member [${i}] must be a pruner (an object with decide(request)), got ${describe(p)}`);
    }
  });
  return Object.freeze([...(pruners as Pruner[])]);
}

/**
 * A pruner that prunes when any member prunes. Built once per study, e.g. `any([nanGuard(), exploding(), median()])`.
 */
export function any(pruners: readonly Pruner[], options: AnyOptions = {}): Pruner {
  const list = members('any', pruners);
  const reasons = new OptionReader('any', options, ['reasons']).oneOf('reasons', 'first', ['first', 'all'] as const);
  const decide = async (req: PruneRequest): Promise<PruneDecision> => {
    const found: string[] = [];
    for (const p of list) {
      const d = await p.decide(req);
      if (d.action !== 'prune') continue;
      if (reasons === 'first') return d;
      found.push(d.reason);
    }
    return found.length ? prune(found.join('; ')) : CONTINUE;
  };
  return Object.freeze({ type: 'any', decide });
}

/** A pruner that prunes only when every member prunes (reasons joined with "; "), e.g. `all([median(), plateau()])`. */
export function all(pruners: readonly Pruner[]): Pruner {
  const list = members('all', pruners);
  const decide = async (req: PruneRequest): Promise<PruneDecision> => {
    const found: string[] = [];
    for (const p of list) {
      const d = await p.decide(req);
      if (d.action !== 'prune') return CONTINUE;
      found.push(d.reason);
    }
    return prune(found.join('; '));
  };
  return Object.freeze({ type: 'all', decide });
}
