/**
 * bench/tpe-tune: compares TPE option sets on the bench functions, tunekit only (no Optuna: fast enough to try many
 * variants). This is how the TPE defaults were chosen; keep tuning on seeds that the reported runs of bench/searchers.ts do
 * not use (the defaults so far were chosen on seeds 100-299).
 *
 *   node --import tsx bench/tpe-tune.ts '{"base":{},"no-incumbent":{"incumbentCandidates":0}}' 100-299 [branin,mixed] [out.json]
 *
 * Prints, per function and variant, the median and the mean log10 simple regret after 25, 50 and 100 trials. The mean log
 * is the steadier of the two: a median of regrets that cluster (Styblinski-Tang's valleys are 14.1 apart) jumps between
 * clusters. `out.json` gets the per-seed regrets ({function: {variant: [[@25 by seed], [@50], [@100]]}}).
 */
import fs from 'node:fs';
import type { SearcherSpec } from '../searchers/index.js';
import { FUNCTIONS, simpleRegret } from './functions.js';
import { median } from './stats.js';

const [variantsArg, seedsArg, funcsArg, out] = process.argv.slice(2);
if (!variantsArg || !seedsArg || !/^\d+-\d+$/.test(seedsArg)) {
  console.error(`usage: node --import tsx bench/tpe-tune.ts '{"name":{...tpe options}}' FIRST-LAST [funcs] [out.json]`);
  process.exit(2);
}
const variants = JSON.parse(variantsArg) as Record<string, Record<string, unknown>>;
const [first, last] = seedsArg.split('-').map(Number) as [number, number];
const funcs = (funcsArg ?? FUNCTIONS.map((f) => f.name).join(',')).split(',');
const CHECK = [25, 50, 100];
const meanLog = (xs: number[]): number => xs.reduce((a, x) => a + Math.log10(Math.max(x, 1e-9)), 0) / xs.length;

const results: Record<string, Record<string, number[][]>> = {};
for (const name of funcs) {
  const f = FUNCTIONS.find((x) => x.name === name);
  if (!f) throw new Error(`unknown function "${name}"; known: ${FUNCTIONS.map((x) => x.name).join(', ')}`);
  for (const [variant, options] of Object.entries(variants)) {
    const per = CHECK.map((): number[] => []);
    for (let seed = first; seed <= last; seed++) {
      const regret = await simpleRegret(f, { type: 'tpe', ...options } as SearcherSpec, seed, 100, CHECK);
      CHECK.forEach((n, k) => per[k]!.push(regret.get(n)!));
    }
    (results[name] ??= {})[variant] = per;
    const med = per.map((p) => median(p).toPrecision(3).padStart(9)).join('');
    const ml = per.map((p) => meanLog(p).toFixed(2).padStart(7)).join('');
    console.log(`${name.padEnd(12)} ${variant.padEnd(16)} median${med}   mean log10${ml}`);
  }
}
if (out) fs.writeFileSync(out, JSON.stringify(results));
