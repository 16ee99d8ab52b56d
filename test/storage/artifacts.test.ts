/**
 * Both artifact stores pass the same checks: a checkpoint directory round-trips byte for byte (nested, binary, empty files,
 * files larger than a chunk), a put replaces the whole key, delete/has/get agree, bad keys are refused, and a second store on
 * the same backend (another machine) sees what the first stored.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ArtifactStore, DirectoryArtifactStore, PostgresArtifactStore } from '../../src/storage/artifacts.js';
import { freshSchema, testServerUrl } from '../helpers/postgres.js';
import { rejects } from './contract.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-art-'));
}

/** A checkpoint-like directory: model.json, a binary weights file bigger than a 1000-byte chunk, an empty file, a subfolder. */
function checkpoint(seed: number): string {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ seed, layers: [1, 2, 3] }));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(Array.from({ length: 2500 + seed }, (_, i) => (i * 31 + seed) % 256)));
  fs.writeFileSync(path.join(dir, 'empty.txt'), '');
  fs.mkdirSync(path.join(dir, 'optimizer'));
  fs.writeFileSync(path.join(dir, 'optimizer', 'state.bin'), Buffer.from([0, 255, seed % 256]));
  return dir;
}

function read(dir: string): { [file: string]: string } {
  const out: { [file: string]: string } = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r)).toString('base64');
    }
  };
  walk('');
  return out;
}

function artifactContract(name: string, make: () => Promise<{ a: ArtifactStore; b: ArtifactStore; cleanup: () => Promise<void> }>): void {
  const s = suite(`artifact store: ${name}`);
  s('put, has, get (from another store on the same backend), replace, delete', async () => {
    const { a, b, cleanup } = await make();
    const dirs: string[] = [];
    try {
      const one = checkpoint(1);
      const two = checkpoint(2);
      fs.rmSync(path.join(two, 'optimizer'), { recursive: true });
      dirs.push(one, two);
      assert.is(await a.has('study/trial-3'), false);
      await a.put('study/trial-3', one);
      assert.is(await b.has('study/trial-3'), true, 'the other store sees it');
      const out = tmp();
      dirs.push(out);
      assert.is(await b.get('study/trial-3', path.join(out, 'restored')), true);
      assert.equal(read(path.join(out, 'restored')), read(one), 'byte for byte, nested and empty files included');
      await b.put('study/trial-3', two);
      const out2 = tmp();
      dirs.push(out2);
      assert.is(await a.get('study/trial-3', out2), true);
      assert.equal(read(out2), read(two), 'a put replaces the whole key (the removed subfolder is gone)');
      assert.is(await a.get('study/none', path.join(out2, 'x')), false);
      assert.not.ok(fs.existsSync(path.join(out2, 'x')), 'a missing key writes nothing');
      assert.is(await a.delete('study/trial-3'), true);
      assert.is(await b.has('study/trial-3'), false);
      assert.is(await b.delete('study/trial-3'), false);
      for (const bad of ['', '../x', '/abs', 'a//b', 'a/./b', 'a b', 7]) await rejects(a.put(bad as string, one), TypeError);
      await rejects(a.put('k', path.join(one, 'model.json')), TypeError);
      await rejects(a.put('k', path.join(one, 'missing')), TypeError);
    } finally {
      await cleanup();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });
  s.run();
}

artifactContract('DirectoryArtifactStore', async () => {
  const root = tmp();
  return {
    a: new DirectoryArtifactStore(root),
    b: new DirectoryArtifactStore(root),
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
  };
});

artifactContract('PostgresArtifactStore', async () => {
  const schema = freshSchema('art');
  const a = await PostgresArtifactStore.open(testServerUrl(), { schema, chunkBytes: 1000 });
  const b = await PostgresArtifactStore.open(testServerUrl(), { schema, chunkBytes: 1000 });
  return { a, b, cleanup: async () => void (await Promise.all([a.close(), b.close()])) };
});
