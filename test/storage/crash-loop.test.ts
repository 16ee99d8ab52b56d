/**
 * Crashes are never mistaken for damage, and never lose an acknowledged finished trial: a writer is SIGKILLed at random
 * moments (mid-append, mid-checkpoint, mid-open) over many rounds, each round continuing the same storage.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { FileStorage } from '../../src/storage/lowdb.js';

const ROUNDS = 12;
const script = fileURLToPath(new URL('../fixtures/storage/crash-writer.ts', import.meta.url));

test(`SIGKILL at random moments, ${ROUNDS} rounds: every acknowledged trial survives, and reopening never reports damage`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-crash-loop-'));
  const file = path.join(dir, 's.json');
  const rng = seedrandom('crash-loop');
  const acked = new Set<number>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const ready = new Promise<void>((resolve) => {
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          if (line === 'ready') resolve();
          else if (line.startsWith('ack ')) acked.add(Number(line.slice(4)));
        });
        void exited.then(() => resolve());
      });
      await ready;
      // Half the rounds kill soon after the open (mid-open / first checkpoints), half after a longer run.
      await new Promise((resolve) => setTimeout(resolve, round % 2 === 0 ? rng() * 40 : 100 + rng() * 400));
      child.kill('SIGKILL');
      await exited;
      assert.not.match(stderr, /Error/, `round ${round}: the writer failed on its own: ${stderr}`);
      const ro = await FileStorage.openReadOnly(file); // throws if the crash were taken for damage
      const finished = new Set((await ro.getTrials('s', ['complete'])).map((t) => t.number));
      await ro.close();
      const missing = [...acked].filter((n) => !finished.has(n));
      assert.equal(missing, [], `round ${round}: acknowledged trials missing after the crash`);
    }
    assert.ok(acked.size > ROUNDS, `the writers finished ${acked.size} trials`);
    const chunks = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"trials"')).length;
    assert.ok(chunks > ROUNDS, `checkpoints ran while the writers were killed (${chunks} chunks with trials)`);
    const st = await FileStorage.open(file);
    assert.ok((await st.getTrials('s', ['complete'])).length >= acked.size);
    await st.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
