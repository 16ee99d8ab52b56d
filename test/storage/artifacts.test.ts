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
import pg from 'pg';
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

/**
 * A connection lost while a put or get holds it (a server restart mid-transaction): pg-pool does not listen for errors on a
 * checked-out client, so before withClient this was an unhandled 'error' event that killed the process (a many-machines worker
 * died so in CI). Now the call retries on a new connection and completes, and what it stored or read is whole.
 */
const killed = suite('artifact store: PostgresArtifactStore connection killed mid-call');
killed('a put and a get whose connection is terminated retry, complete, and round-trip the bytes', async () => {
  const schema = freshSchema('artkill');
  // 100-byte chunks of a 60 kB file: 600 statements in one transaction, time enough to find and terminate its connection.
  const store = await PostgresArtifactStore.open(testServerUrl(), { schema, chunkBytes: 100, retryMs: 20_000 });
  const admin = new pg.Client({ connectionString: testServerUrl() });
  await admin.connect();
  const dir = tmp();
  const out = tmp();
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(Array.from({ length: 60_000 }, (_, i) => (i * 7) % 251)));
  // Terminates the first backend seen inside a transaction on this schema's chunk table; resolves with how many it ended.
  const killOne = async (): Promise<number> => {
    for (let i = 0; i < 2000; i++) {
      const { rows } = await admin.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query LIKE $1`,
        [`%"${schema}".tunekit_artifact_chunks%`],
      );
      if (rows.some((r) => r.ended)) return rows.length;
      await new Promise((r) => setTimeout(r, 2));
    }
    return 0;
  };
  try {
    const [, endedInPut] = await Promise.all([store.put('k', dir), killOne()]);
    assert.ok(endedInPut >= 1, 'a connection was terminated during the put');
    const [found, endedInGet] = await Promise.all([store.get('k', path.join(out, 'got')), killOne()]);
    assert.ok(endedInGet >= 1, 'a connection was terminated during the get');
    assert.is(found, true);
    assert.equal(read(path.join(out, 'got')), read(dir), 'the retried put stored the whole file; the retried get read it whole');
  } finally {
    await admin.end();
    await store.close();
    for (const d of [dir, out]) fs.rmSync(d, { recursive: true, force: true });
  }
});
killed.run();
