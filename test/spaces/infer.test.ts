/**
 * `InferParams` gives the exact params type of a tree. Checked at compile time (`npx tsc -p tsconfig.check.json` fails if the
 * inference is wrong), and the runtime shape is checked against the same tree.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { space, type InferParams } from '../../spaces/index.js';

/** True only if A and B are mutually assignable. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const expectTrue = <T extends true>(): T | undefined => undefined;

const tree = {
  lr: space.float(1e-4, 0.1, { log: true }),
  units: space.int(1, 8),
  opt: space.choice(['adam', 'sgd']),
  sizes: space.choice([16, 32]),
  flag: space.bool(),
  model: space.choice({ mlp: { layers: space.int(1, 3), nested: { drop: space.float(0, 0.5) } }, linear: {} }),
};
type P = InferParams<typeof tree>;
type Expected = {
  lr: number;
  units: number;
  opt: 'adam' | 'sgd';
  sizes: 16 | 32;
  flag: boolean;
  model: { type: 'mlp'; layers: number; nested: { drop: number } } | { type: 'linear' };
};
expectTrue<Same<P, Expected>>();
// Negative checks: each line must be a type error, or tsc reports an unused @ts-expect-error.
// @ts-expect-error 'rmsprop' is not among the choices
const badOpt: P['opt'] = 'rmsprop';
// @ts-expect-error the linear branch has no layers
const badBranch: P['model'] = { type: 'linear', layers: 2 };
// @ts-expect-error flag is a boolean
const badFlag: P['flag'] = 1;
void [badOpt, badBranch, badFlag];

test('a decoded point has the inferred shape', () => {
  const s = space.compile(tree);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const p = s.decode(s.dims.map((_, j) => ((i * 7 + j * 3) % 10) / 10)) as P;
    seen.add(p.model.type);
    assert.type(p.lr, 'number');
    assert.ok(p.opt === 'adam' || p.opt === 'sgd');
    assert.ok(p.sizes === 16 || p.sizes === 32);
    assert.type(p.flag, 'boolean');
    if (p.model.type === 'mlp') {
      assert.type(p.model.layers + p.model.nested.drop, 'number'); // narrowing on `type` compiles only if inference is right
      assert.equal(Object.keys(p.model), ['type', 'layers', 'nested']);
    } else assert.equal(p.model, { type: 'linear' });
  }
  assert.is(seen.size, 2);
});

test.run();
