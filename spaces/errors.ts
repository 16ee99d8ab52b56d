/**
 * The one error class of the search-space DSL. Builders, `compileSpace`, `space.fromJSON`, `SearchSpace.validate`/`encode`/
 * `decode` all throw it, so callers can catch bad spaces and bad params alike with `instanceof SpaceError` (or `code`).
 */

/**
 * A search space, its JSON form, or a params object breaks an invariant. Extends TypeError because every such case is a value
 * of the wrong shape. `path` is the dotted path of the offending node (`optimizer.lr`, `model.mlp.units`; the JSON path for
 * `space.fromJSON`), or '' for a builder call (which cannot know where its node will end up) and for the root.
 */
export class SpaceError extends TypeError {
  readonly code = 'ERR_TUNEKIT_SPACE';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'SpaceError';
  }
}

/** Renders a value for an error message: strings keep their quotes so `"0.1"` is visibly not `0.1`; NaN etc. stay readable. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === undefined || typeof v === 'symbol' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'})`;
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}
