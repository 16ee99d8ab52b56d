import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildReportData } from '../../src/report/data.js';
import { buildLeaderboard } from '../../src/report/leaderboard.js';
import { flattenParams, flattenSpace } from '../../src/report/flatten.js';
import { withSweepPruner } from '../../src/report/source.js';
import { trialDiagnostics } from '../../src/report/diagnostics.js';
import type { EpochReport } from '../../trials/types.js';
import { SPACE, syntheticStudy } from './fixtures.js';

test('flattenSpace/flattenParams: branches become a choice plus conditional paths', () => {
  const flat = flattenSpace(SPACE);
  assert.equal(
    flat.map((p) => p.name),
    ['model', 'model.mlp.units', 'model.mlp.dropout', 'model.mlp.batchNorm', 'model.cnn.filters', 'lr', 'layers', 'act'],
  );
  assert.is(flat.find((p) => p.name === 'model.cnn.filters')!.condition, 'model=cnn');
  assert.ok(flat.find((p) => p.name === 'model.cnn.filters')!.log);
  const v = flattenParams(
    { model: { type: 'mlp', units: [256, 128], dropout: 0.2, batchNorm: true }, lr: 0.01, layers: 3, act: 'gelu' },
    flat,
  );
  assert.equal(Object.fromEntries(v), {
    model: 0,
    'model.mlp.units': 1,
    'model.mlp.dropout': 0.2,
    'model.mlp.batchNorm': 1,
    lr: 0.01,
    layers: 3,
    act: 1,
  });
});

test('the page data follows the leaderboard: same order, ranks, values, states and summary', () => {
  const { study, trials } = syntheticStudy({ trials: 40, seed: 11 });
  const data = buildReportData(study, trials, { importance: { trees: 8, refits: 1 } });
  const lb = buildLeaderboard(study, trials);
  assert.equal(
    data.trials.map((t) => [t.number, t.rank, t.value, t.state, t.reason]),
    lb.trials.map((e) => [e.number, e.rank, e.value, e.state, e.reason]),
  );
  assert.equal(data.leaderboard.summary, lb.summary);
  assert.is(data.details[0]!.number, lb.summary.best!.number, 'the winner is shown in detail');
  assert.ok(
    data.details.some((d) => trials[d.number]!.state === 'pruned'),
    'a pruned trial is shown in detail',
  );
  // Without worker files, lanes come from overlaps: never two overlapping trials in one lane.
  const lanes = new Map<string, [number, number][]>();
  for (const t of data.trials)
    if (t.started !== null && t.finished !== null) lanes.set(t.lane, [...(lanes.get(t.lane) ?? []), [t.started, t.finished]]);
  for (const spans of lanes.values()) {
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1]);
  }
});

test('per-trial files: worker lanes from config.json, curves, diagnostics and the export report; pruner from sweep.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-data-'));
  try {
    const { study, trials } = syntheticStudy({ trials: 12, seed: 12 });
    const best = buildLeaderboard(study, trials).summary.best!.number;
    const tdir = path.join(dir, 'trials', String(best));
    fs.mkdirSync(path.join(tdir, 'model'), { recursive: true });
    fs.writeFileSync(
      path.join(tdir, 'config.json'),
      JSON.stringify({ number: best, device: 'cpu', slot: 1, params: {}, config: { lr: 0.1 } }),
    );
    fs.writeFileSync(path.join(tdir, 'curves.json'), JSON.stringify([{ step: 1, trainLoss: 2, valLoss: 1.5, t: 10 }]));
    fs.writeFileSync(
      path.join(tdir, 'diagnostics.json'),
      JSON.stringify({
        confusion: [
          [5, 1],
          [0, 6],
        ],
        featureMaps: { conv1: { shape: [1, 2, 2], data: [0, 1, 2, 3] } },
      }),
    );
    fs.writeFileSync(
      path.join(tdir, 'model', 'export-report.json'),
      JSON.stringify({ bytes: 1000, fp32Bytes: 4000, accuracy: { tfjs: 0.9, onnx: 0.9, int8: 0.89, drop: 0.01 } }),
    );
    fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify({ pruner: { type: 'asha' } }));
    fs.writeFileSync(path.join(dir, 'trials', 'broken.json'), '{'); // unrelated junk is ignored
    const data = buildReportData(study, trials, { dir, importance: { trees: 8, refits: 1 } });
    assert.is(data.trials.find((t) => t.number === best)!.lane, 'cpu/1');
    const d = data.details.find((x) => x.number === best)!;
    assert.equal(d.curves, [{ step: 1, trainLoss: 2, valLoss: 1.5, t: 10 }]);
    assert.equal(d.files.diagnostics!['confusion'], [
      [5, 1],
      [0, 6],
    ]);
    assert.is(d.files.exportReport!['bytes'], 1000);
    const { pruner: _p, ...noPruner } = study;
    assert.equal(withSweepPruner({ record: noPruner, trials, dir, where: dir }).pruner, { type: 'asha' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('trialDiagnostics: per-layer gradient norms gathered per epoch, confusion and feature maps passed through', () => {
  const epoch = (n: number, g: number) => ({ epoch: n, layerGradNorms: { dense1: g, dense2: g / 2 } }) as unknown as EpochReport;
  const d = trialDiagnostics(
    {
      history: [epoch(1, 4), epoch(2, 2)],
      confusion: [
        [1, 0],
        [0, 1],
      ],
    },
    ['a', 'b'],
  );
  assert.equal(d, {
    confusion: [
      [1, 0],
      [0, 1],
    ],
    classNames: ['a', 'b'],
    layerGradNorms: { dense1: [4, 2], dense2: [2, 1] },
  });
  assert.equal(trialDiagnostics({ history: [] }), {});
});

test.run();
