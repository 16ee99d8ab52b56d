import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InMemoryStorage, openStorage } from '../../src/storage/index.js';
import { FileStorage } from '../../src/storage/lowdb.js';
import { storageContract } from './contract.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

storageContract('InMemoryStorage', async () => ({ storage: new InMemoryStorage() }));

test('openStorage: undefined -> in memory, a path -> FileStorage, an object -> itself', async () => {
  const mem = await openStorage();
  assert.instance(mem, InMemoryStorage);
  const given = new InMemoryStorage();
  assert.is(await openStorage(given), given);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-open-'));
  try {
    const file = await openStorage(path.join(dir, 'nested', 's.json'));
    assert.instance(file, FileStorage);
    assert.ok(fs.existsSync(path.join(dir, 'nested', 's.json.lock')));
    await file.close();
    assert.not.ok(fs.existsSync(path.join(dir, 'nested', 's.json.lock')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
