/**
 * Issue item 1: processes that open the same study file while a lock left by a dead process exists must agree on exactly one
 * winner. Real processes (the lock is about processes, and pid liveness), many rounds, a fresh stale lock each round.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const RACERS = 6;
const ROUNDS = 30;
const script = fileURLToPath(new URL('../fixtures/storage/lock-racer.ts', import.meta.url));

interface Racer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  waiters: (() => void)[];
}

function start(): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const racer: Racer = { child, lines: [], waiters: [] };
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    racer.lines.push(line);
    for (const w of racer.waiters.splice(0)) w();
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  return racer;
}

/** The racer's next output line (they answer in order). */
async function next(r: Racer, index: number): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (r.lines.length <= index) {
    if (Date.now() > deadline || r.child.exitCode !== null)
      throw new Error(`racer ${String(r.child.pid)} gave no answer ${index} (exit ${String(r.child.exitCode)})`);
    await new Promise<void>((resolve) => {
      r.waiters.push(resolve);
      setTimeout(resolve, 200);
    });
  }
  return r.lines[index]!;
}

test(`${RACERS} processes racing for a stale lock: exactly one wins, every round (${ROUNDS} rounds)`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-lock-race-'));
  const file = path.join(dir, 's.json');
  const dead = spawnSync('true').pid!;
  const racers = Array.from({ length: RACERS }, start);
  try {
    for (const r of racers) assert.is(await next(r, 0), 'ready');
    const failures: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // A crashed sweep's lock: a pid that is gone; every few rounds an unreadable (empty) one.
      const stale =
        round % 5 === 0
          ? ''
          : JSON.stringify({ pid: dead, host: os.hostname(), started: new Date(Date.UTC(2020, 0, 1, 0, 0, round)).toISOString() });
      fs.writeFileSync(`${file}.lock`, stale);
      for (const r of racers) r.child.stdin.write(`go ${file}\n`);
      const answers = await Promise.all(racers.map((r) => next(r, round)));
      const winners = racers.filter((_, i) => answers[i] === 'won');
      const odd = answers.filter((a) => a !== 'won' && a !== 'locked');
      if (winners.length !== 1 || odd.length > 0) failures.push(`round ${round}: ${winners.length} winners, answers ${answers.join(', ')}`);
      if (winners.length === 1) {
        const holder = JSON.parse(fs.readFileSync(`${file}.lock`, 'utf8')) as { pid: number };
        if (holder.pid !== winners[0]!.child.pid)
          failures.push(`round ${round}: the lock names ${holder.pid}, the winner is ${String(winners[0]!.child.pid)}`);
      }
      const leftovers = fs.readdirSync(dir).filter((f) => f !== 's.json.lock');
      if (leftovers.length > 0) failures.push(`round ${round}: files left behind: ${leftovers.join(', ')}`);
    }
    assert.equal(failures, []);
  } finally {
    for (const r of racers) r.child.stdin.end();
    await Promise.all(racers.filter((r) => r.child.exitCode === null).map((r) => new Promise((resolve) => r.child.once('exit', resolve))));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
