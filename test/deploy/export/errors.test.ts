import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../../trials/checkpoint.js';
import { buildModel } from '../../../trials/models/index.js';
import { OptionsError } from '../../../src/core/errors.js';
import { CONVERTERS, ExportError, exportOnnx } from '../../../src/deploy/export/index.js';
import type { LayerConverter } from '../../../src/deploy/export/context.js';
import { exportCommand, parseExportArgs } from '../../../src/cli/export.js';
import { oneLayer, randomizeWeights, setup } from './helpers.js';

async function rejects(p: Promise<unknown>, cls: new (...a: never[]) => Error, pattern: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, cls);
    assert.match((err as Error).message, pattern);
    return err as Error;
  }
  throw new assert.Assertion({
    message: `expected a ${cls.name} matching ${pattern}`,
    operator: 'rejects',
    expects: pattern,
    actual: 'resolved',
    generated: false,
  });
}

const errors = suite('export: errors');
let dir = '';
errors.before(async () => {
  await setup();
  dir = mkdtempSync(join(tmpdir(), 'tunekit-export-err-'));
});
errors.after(() => rmSync(dir, { recursive: true, force: true }));

errors('an unsupported layer (LSTM) is named with its class, and nothing is written', async () => {
  const model = oneLayer(
    [5, 3],
    (x) => tf.layers.dense({ units: 2 }).apply(tf.layers.lstm({ units: 4, name: 'my_lstm' }).apply(x)) as tf.SymbolicTensor,
  );
  const path = join(dir, 'lstm.onnx');
  await rejects(exportOnnx(model, path), ExportError, /layer "my_lstm" \(class LSTM\).*no converter.*Supported classes: Dense/);
  assert.not.ok(existsSync(path));
  model.dispose();
});

errors('every unsupported layer is listed at once', async () => {
  const model = oneLayer(
    [8, 3],
    (x) => tf.layers.lstm({ units: 2 }).apply(tf.layers.conv1d({ filters: 3, kernelSize: 2, name: 'c1' }).apply(x)) as tf.SymbolicTensor,
  );
  await rejects(exportOnnx(model, join(dir, 'x.onnx')), ExportError, /"c1" \(class Conv1D\).*\(class LSTM\)/);
  model.dispose();
});

errors('a model with two inputs is rejected', async () => {
  const a = tf.input({ shape: [3] });
  const b = tf.input({ shape: [3] });
  const model = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
  await rejects(exportOnnx(model, join(dir, 'two.onnx')), ExportError, /2 inputs; .*single-input/);
  model.dispose();
});

errors('the parity check catches a wrong conversion and writes nothing', async () => {
  const model = oneLayer([6], (x) => tf.layers.dense({ units: 3 }).apply(x) as tf.SymbolicTensor);
  randomizeWeights(model);
  const table = CONVERTERS as Record<string, LayerConverter>;
  const original = table['Dense']!;
  // A converter bug: the output is off by a tiny bias.
  table['Dense'] = (ctx, layer, inputs, shapes) => {
    const [v] = original(ctx, layer, inputs, shapes);
    return [{ ...v!, name: ctx.graph.add('Add', [v!.name, ctx.graph.constF('oops', [1e-3], [])]) }];
  };
  const path = join(dir, 'bad.onnx');
  try {
    await rejects(
      exportOnnx(model, path),
      ExportError,
      /parity check failed: .*\(atol 0\.00001, rtol 0\.0001, .*max abs diff 1\.0\d*e-3, max rel diff/,
    );
  } finally {
    table['Dense'] = original;
  }
  assert.not.ok(existsSync(path));
  // The same model converts fine with the real converter.
  const ok = await exportOnnx(model, path);
  assert.ok(ok.parity!.fp32.maxAbsDiff < 1e-4);
  model.dispose();
});

errors('bad options are OptionsErrors naming the option', async () => {
  const model = oneLayer([4], (x) => tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor);
  await rejects(exportOnnx(model, join(dir, 'o.onnx'), { opset: 16 }), OptionsError, /`opset` must be an integer in \[17, 21\], got 16/);
  await rejects(exportOnnx(model, join(dir, 'o.onnx'), { quantize: 'int4' as 'int8' }), OptionsError, /`quantize`/);
  await rejects(exportOnnx(model, join(dir, 'o.onnx'), { verify: { tolerance: 0 } }), OptionsError, /verify\.tolerance/);
  await rejects(
    exportOnnx(model, join(dir, 'o.onnx'), { verify: { data: new Float32Array(7) } }),
    OptionsError,
    /whole samples of 4 values/,
  );
  model.dispose();
});

const cli = suite('export: tunekit export');
cli.before(setup);

cli('flags are parsed and checked', () => {
  const a = parseExportArgs(['ckpt', '--quantize', 'int8', '--opset', '20', '--metadata', 'a=b=c', '--skip-latency', '--data', 'mnist']);
  assert.is(a.model, 'ckpt');
  assert.is(a.quantize, 'int8');
  assert.is(a.opset, 20);
  assert.equal(a.metadata, { a: 'b=c' });
  assert.is(a.latency, false);
  assert.throws(() => parseExportArgs(['ckpt', '--quantize', 'int4']), /--quantize must be one of int8, int8-static/);
  assert.throws(() => parseExportArgs(['ckpt', '--prune', '0.5']), /--distill and --prune train on data/);
  assert.throws(() => parseExportArgs(['ckpt', '--prune', '1.5', '--data', 'mnist']), /--prune must be a sparsity in \[0, 1\)/);
  assert.throws(() => parseExportArgs([]), /one run or model directory/);
  assert.throws(() => parseExportArgs(['ckpt', '--metadata', 'novalue']), /key=value/);
});

cli('exports a checkpoint directory, prints the figures and writes the JSON report', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tunekit-export-cli-'));
  try {
    const { model } = buildModel({ type: 'mlp', units: [8] }, { inputShape: [5], outputs: 3, seed: 1 });
    await saveModel(model, join(root, 'ckpt'));
    model.dispose();
    const lines: string[] = [];
    const json = join(root, 'report.json');
    const r = await exportCommand(
      parseExportArgs([join(root, 'ckpt'), '--quantize', 'int8', '--skip-latency', '--json', json, '--metadata', 'k=v']),
      (l) => lines.push(l),
    );
    assert.is(r.path, join(root, 'ckpt', 'model.onnx'));
    assert.ok(existsSync(r.path));
    assert.ok(existsSync(join(root, 'ckpt', 'model.tfjs', 'model.json')), 'exportOnnx writes the TF.js model beside the ONNX file');
    assert.equal((JSON.parse(readFileSync(r.reportPath, 'utf8')) as { path: string }).path, r.path, 'and export-report.json');
    assert.match(lines[0]!, /^wrote .*model\.onnx: .* \(int8\/integer, opset 17/);
    assert.ok(
      lines.some((l) => /parity \(64 random samples\): fp32 max \|diff\|/.test(l)),
      lines.join('\n'),
    );
    const saved = JSON.parse(readFileSync(json, 'utf8')) as { metadata: Record<string, string>; quantize: string };
    assert.is(saved.quantize, 'int8');
    assert.is(saved.metadata['k'], 'v');
    await rejects(
      exportCommand(parseExportArgs([join(root, 'ckpt'), '--quantize', 'int8-static', '--skip-latency']), () => {}),
      OptionsError,
      /int8-static calibrates on data/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

cli('exports the best trial of a run directory (study.json + trials/<n>/), with --trial N and --onnx', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tunekit-export-run-'));
  try {
    const { createStudy } = await import('../../../src/study/open.js');
    const { space } = await import('../../../spaces/index.js');
    const study = await createStudy({
      name: 'run',
      space: { units: space.choice([4, 8, 12]) },
      searcher: 'grid',
      direction: 'maximize',
      seed: 1,
      storage: join(root, 'study.json'),
    });
    // Trial value = units, so the best trial is the one with 12 units; each trial saves its checkpoint as sweeps do.
    await study.optimize(
      async (p, ctx) => {
        const { model } = buildModel({ type: 'mlp', units: [p.units] }, { inputShape: [5], outputs: 3, seed: 1 });
        await saveModel(model, join(root, 'trials', String(ctx.number)));
        model.dispose();
        return p.units;
      },
      { trials: 3 },
    );
    const best = study.best!;
    const byUnits = new Map((await study.trials()).map((t) => [t.params['units'], t.number]));
    await study.close();
    const lines: string[] = [];
    const out = join(root, 'export', 'winner.onnx');
    const r = await exportCommand(parseExportArgs([root, '--onnx', out, '--skip-latency']), (l) => lines.push(l));
    assert.is(r.path, out);
    assert.ok(lines[0]!.startsWith(`exporting trial ${best.number}`), lines[0]);
    assert.is(r.metadata['tunekit.trial'], String(best.number));
    assert.equal(JSON.parse(r.metadata['tunekit.trial_params']!), { units: 12 });
    assert.ok(existsSync(join(root, 'export', 'export-report.json')), 'export-report.json beside the ONNX file');
    assert.ok(existsSync(join(root, 'export', 'winner.tfjs', 'model.json')), 'the exported TF.js model beside it');
    const four = byUnits.get(4)!;
    const r4 = await exportCommand(
      parseExportArgs([root, '--trial', String(four), '--onnx', join(root, 'four.onnx'), '--skip-latency']),
      () => {},
    );
    assert.is(r4.metadata['tunekit.trial'], String(four));
    await rejects(
      exportCommand(parseExportArgs([root, '--trial', '9', '--skip-latency']), () => {}),
      OptionsError,
      /has no trial 9/,
    );
    await rejects(
      exportCommand(parseExportArgs([join(root, 'nothing'), '--skip-latency']), () => {}),
      OptionsError,
      /neither model\.json.*nor study\.json/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

errors.run();
cli.run();
