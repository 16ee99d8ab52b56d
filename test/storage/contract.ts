/**
 * The behaviour every Storage backend must have. Backends call {@link storageContract} from their own test file; a backend that
 * can be reopened (a file) also passes `reopen` so persistence is checked.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { NewTrial, Storage } from '../../src/storage/types.js';
import type { StudyRecord, TrialRecord } from '../../src/core/types.js';
import { TrialStateError } from '../../src/core/errors.js';

/** What a backend factory returns: a fresh, empty storage, and optionally a way to open the same data again after close(). */
export interface ContractSubject {
  storage: Storage;
  reopen?: () => Promise<Storage>;
}

/** A valid study record named `name`. */
export function studyRecord(name: string): StudyRecord {
  return {
    name,
    direction: 'minimize',
    searcher: { type: 'random', nStartup: 3 },
    seed: 42,
    space: { lr: { _type: 'float', low: 0.001, high: 0.1, log: true } },
    created: '2024-05-01T10:00:00.000Z',
    userAttrs: { owner: 'tests' },
  };
}

const running = (params: NewTrial['params'] = { lr: 0.01 }): NewTrial => ({ state: 'running', params });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Awaits `p`, asserts it rejects, checks the error's `code` or class, and returns the error. */
export async function rejects(p: Promise<unknown>, expected: string | (new (...args: never[]) => Error)): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, Error);
    if (typeof expected === 'string') assert.is((e as { code?: unknown }).code, expected, (e as Error).message);
    else assert.instance(e, expected);
    return e as Error;
  }
  assert.unreachable(`expected a rejection (${typeof expected === 'string' ? expected : expected.name})`);
  throw new Error('unreachable');
}

/** Registers and runs the contract suite for one backend. */
export function storageContract(name: string, make: () => Promise<ContractSubject>): void {
  const s = suite(`storage contract: ${name}`);

  /** A storage holding study "s"; closed after the test body. */
  const withStudy = (body: (st: Storage, subject: ContractSubject) => Promise<void>) => async () => {
    const subject = await make();
    await subject.storage.createStudy(studyRecord('s'));
    try {
      await body(subject.storage, subject);
    } finally {
      await subject.storage.close();
    }
  };

  s('studies: create, get, list; a duplicate name is refused', async () => {
    const { storage } = await make();
    assert.equal(await storage.listStudies(), []);
    await storage.createStudy(studyRecord('a'));
    await storage.createStudy(studyRecord('b'));
    assert.equal((await storage.listStudies()).sort(), ['a', 'b']);
    assert.equal(await storage.getStudy('a'), studyRecord('a'));
    assert.is(await storage.getStudy('nope'), undefined);
    await rejects(storage.createStudy(studyRecord('a')), 'ERR_TUNEKIT_STUDY_EXISTS');
    await rejects(storage.createTrial('nope', running()), 'ERR_TUNEKIT_STUDY_NOT_FOUND');
    await storage.close();
  });

  s(
    'createTrial assigns 0-based numbers in order and fills defaults',
    withStudy(async (st) => {
      const a = await st.createTrial('s', running({ lr: 0.1 }));
      const b = await st.createTrial('s', {
        state: 'waiting',
        params: { lr: 0.2 },
        budget: 9,
        system: { bracket: 1 },
        userAttrs: { u: 'x' },
      });
      const c = await st.createTrial('s', running());
      assert.equal([a.number, b.number, c.number], [0, 1, 2]);
      assert.is(a.state, 'running');
      assert.type(a.started, 'string');
      assert.type(a.created, 'string');
      assert.equal(a.intermediate, []);
      assert.equal(a.userAttrs, {});
      assert.equal(a.system, {});
      assert.equal(a.params, { lr: 0.1 });
      assert.is(b.state, 'waiting');
      assert.is(b.started, undefined);
      assert.is(b.budget, 9);
      assert.equal(b.system, { bracket: 1 });
      assert.equal(b.userAttrs, { u: 'x' });
      assert.equal(await st.getTrial('s', 1), b);
      assert.is(await st.getTrial('s', 7), undefined);
    }),
  );

  s(
    '50 concurrent createTrial calls get distinct consecutive numbers',
    withStudy(async (st) => {
      const made = await Promise.all(Array.from({ length: 50 }, (_, i) => st.createTrial('s', running({ i }))));
      assert.equal(
        made.map((t) => t.number).sort((x, y) => x - y),
        Array.from({ length: 50 }, (_, i) => i),
      );
      const stored = await st.getTrials('s');
      assert.is(stored.length, 50);
      for (const t of made) assert.equal(stored[t.number]!.params, t.params);
    }),
  );

  s(
    'startWaiting starts the oldest waiting trial, then undefined',
    withStudy(async (st) => {
      assert.is(await st.startWaiting('s'), undefined);
      await st.createTrial('s', { state: 'waiting', params: { k: 'first' } });
      await st.createTrial('s', running());
      await st.createTrial('s', { state: 'waiting', params: { k: 'second' } });
      const one = await st.startWaiting('s');
      assert.equal([one?.number, one?.state, one?.params.k], [0, 'running', 'first']);
      assert.type(one?.started, 'string');
      const two = await st.startWaiting('s');
      assert.equal([two?.number, two?.params.k], [2, 'second']);
      assert.is(await st.startWaiting('s'), undefined);
      assert.is((await st.getTrial('s', 2))?.state, 'running');
    }),
  );

  s(
    "markStarted moves a running trial's start to now, only before its first report; never a waiting or finished trial",
    withStudy(async (st, subject) => {
      assert.ok(typeof st.markStarted === 'function', 'every built-in backend re-stamps starts');
      const mark = st.markStarted!.bind(st);
      const t = await st.createTrial('s', running());
      const u = await st.createTrial('s', running());
      await sleep(15); // a trial asked ahead waits in the loop's queue
      const marked = await mark('s', t.number);
      assert.ok(Date.parse(marked.started!) > Date.parse(t.started!), `started ${String(t.started)} -> ${String(marked.started)}`);
      assert.equal([marked.state, marked.created, marked.params], ['running', t.created, t.params]);
      assert.equal(await st.getTrial('s', t.number), marked);
      assert.equal(
        (await st.getTrials('s', ['running'])).map((x) => x.started),
        [marked.started, u.started],
        'cached lists see the change',
      );
      const uMarked = await mark('s', u.number);
      const w = await st.createTrial('s', { state: 'waiting', params: {} });
      await rejects(mark('s', w.number), TrialStateError);
      assert.is((await st.getTrial('s', w.number))?.started, undefined);
      await st.reportIntermediate('s', t.number, 0, 0.5);
      const err = await rejects(mark('s', t.number), TrialStateError);
      assert.match(err.message, `trial ${t.number} of study "s" is running`);
      assert.match(err.message, 'reported nothing');
      const done = await st.finishTrial('s', t.number, { state: 'complete', value: 0.5 });
      await rejects(mark('s', t.number), TrialStateError);
      await rejects(mark('s', 99), 'ERR_TUNEKIT_TRIAL_NOT_FOUND');
      assert.equal([done.started, done.created], [marked.started, t.created]);
      assert.equal(await st.getTrial('s', t.number), done);
      if (subject.reopen) {
        await st.close();
        const again = await subject.reopen();
        try {
          assert.is((await again.getTrial('s', t.number))?.started, marked.started);
          assert.equal(await again.getTrial('s', u.number), uMarked, 'a re-stamped running trial keeps its new start');
        } finally {
          await again.close();
        }
      }
    }),
  );

  s(
    'reportIntermediate: running only; a repeated step keeps the first value',
    withStudy(async (st) => {
      const t = await st.createTrial('s', running());
      await st.reportIntermediate('s', t.number, 1, 0.5);
      await st.reportIntermediate('s', t.number, 2, 0.4);
      await st.reportIntermediate('s', t.number, 1, 99);
      assert.equal((await st.getTrial('s', t.number))?.intermediate, [
        { step: 1, value: 0.5 },
        { step: 2, value: 0.4 },
      ]);
      const w = await st.createTrial('s', { state: 'waiting', params: {} });
      await rejects(st.reportIntermediate('s', w.number, 1, 1), 'ERR_TUNEKIT_TRIAL_STATE');
      await rejects(st.reportIntermediate('s', 99, 1, 1), 'ERR_TUNEKIT_TRIAL_NOT_FOUND');
      await st.finishTrial('s', t.number, { state: 'complete', value: 0.4 });
      await rejects(st.reportIntermediate('s', t.number, 3, 0.3), 'ERR_TUNEKIT_TRIAL_STATE');
      assert.is((await st.getTrial('s', t.number))?.intermediate.length, 2);
    }),
  );

  s(
    'finishTrial: running only, complete needs a finite value, finished trials never change',
    withStudy(async (st) => {
      const t = await st.createTrial('s', running());
      await rejects(st.finishTrial('s', t.number, { state: 'complete' }), TypeError);
      await rejects(st.finishTrial('s', t.number, { state: 'complete', value: Number.NaN }), TypeError);
      assert.is((await st.getTrial('s', t.number))?.state, 'running');
      const done = await st.finishTrial('s', t.number, { state: 'complete', value: 0.25, metrics: { acc: 0.9 } });
      assert.equal([done.state, done.value, done.metrics], ['complete', 0.25, { acc: 0.9 }]);
      assert.type(done.finished, 'string');
      await rejects(st.finishTrial('s', t.number, { state: 'failed', reason: 'again' }), 'ERR_TUNEKIT_TRIAL_STATE');
      await rejects(st.finishTrial('s', t.number, { state: 'complete', value: 1 }), 'ERR_TUNEKIT_TRIAL_STATE');
      assert.equal(await st.getTrial('s', t.number), done);
      const w = await st.createTrial('s', { state: 'waiting', params: {} });
      await rejects(st.finishTrial('s', w.number, { state: 'pruned' }), 'ERR_TUNEKIT_TRIAL_STATE');
      await rejects(st.finishTrial('s', 42, { state: 'pruned' }), 'ERR_TUNEKIT_TRIAL_NOT_FOUND');
      const f = await st.createTrial('s', running());
      const failed = await st.finishTrial('s', f.number, { state: 'failed', reason: 'oom', error: { message: 'boom', stack: 'at x' } });
      assert.equal([failed.state, failed.reason, failed.error], ['failed', 'oom', { message: 'boom', stack: 'at x' }]);
    }),
  );

  s(
    'setTrialUserAttr works on waiting and running trials, keeps the other fields, and never changes a finished trial',
    withStudy(async (st) => {
      const t = await st.createTrial('s', { ...running(), userAttrs: { a: 1 } });
      await st.setTrialUserAttr('s', t.number, 'b', { nested: [1, 2] });
      const w = await st.createTrial('s', { state: 'waiting', params: { w: 1 } });
      await st.setTrialUserAttr('s', w.number, 'queued', true);
      assert.equal((await st.getTrial('s', w.number))?.userAttrs, { queued: true });
      const done = await st.finishTrial('s', t.number, { state: 'complete', value: 3 });
      assert.equal(done.userAttrs, { a: 1, b: { nested: [1, 2] } });
      await rejects(st.setTrialUserAttr('s', t.number, 'note', 'after finish'), 'ERR_TUNEKIT_TRIAL_STATE');
      assert.equal(await st.getTrial('s', t.number), done);
      await rejects(st.setTrialUserAttr('s', 5, 'k', 1), 'ERR_TUNEKIT_TRIAL_NOT_FOUND');
    }),
  );

  s(
    'getTrials: number order, state filters, cached until something changes',
    withStudy(async (st) => {
      for (let i = 0; i < 5; i++) await st.createTrial('s', running({ i }));
      await st.createTrial('s', { state: 'waiting', params: { i: 5 } });
      await st.finishTrial('s', 1, { state: 'complete', value: 1 });
      await st.finishTrial('s', 3, { state: 'pruned', value: 2, reason: 'median' });
      await st.finishTrial('s', 4, { state: 'failed' });
      const all = await st.getTrials('s');
      assert.equal(
        all.map((t) => t.number),
        [0, 1, 2, 3, 4, 5],
      );
      assert.equal(
        (await st.getTrials('s', ['running'])).map((t) => t.number),
        [0, 2],
      );
      assert.equal(
        (await st.getTrials('s', ['complete', 'pruned'])).map((t) => t.number),
        [1, 3],
      );
      assert.equal(
        (await st.getTrials('s', ['waiting'])).map((t) => t.number),
        [5],
      );
      assert.equal(await st.getTrials('s', []), []);
      assert.is(await st.getTrials('s'), all, 'unchanged storage returns the cached array');
      const finished = await st.getTrials('s', ['complete', 'pruned']);
      await st.reportIntermediate('s', 0, 1, 0.1);
      const after = await st.getTrials('s');
      assert.is.not(after, all);
      assert.equal(after[0]!.intermediate, [{ step: 1, value: 0.1 }]);
      assert.equal(all[0]!.intermediate, [], 'an earlier result is a snapshot, not a live view');
      assert.is(await st.getTrials('s', ['complete', 'pruned']), finished, 'a report to a running trial keeps finished lists');
      assert.equal((await st.getTrials('s', ['running']))[0]!.intermediate, [{ step: 1, value: 0.1 }]);
      await st.finishTrial('s', 0, { state: 'complete', value: 0.1 });
      assert.equal(
        (await st.getTrials('s', ['complete', 'pruned'])).map((t) => t.number),
        [0, 1, 3],
      );
      assert.equal(
        (await st.getTrials('s', ['running'])).map((t) => t.number),
        [2],
      );
      assert.is((await st.getTrials('s', ['running']))[0]!.userAttrs.k, undefined);
      await st.setTrialUserAttr('s', 2, 'k', 'v');
      assert.is((await st.getTrials('s', ['running']))[0]!.userAttrs.k, 'v');
      assert.is((await st.getTrials('s'))[2]!.userAttrs.k, 'v');
      await rejects(st.getTrials('nope'), 'ERR_TUNEKIT_STUDY_NOT_FOUND');
    }),
  );

  s(
    'records are frozen copies: neither the caller input nor returned objects alias stored state',
    withStudy(async (st) => {
      const params = { lr: 0.1, layers: [32, 16], opt: { name: 'adam' } };
      const t = await st.createTrial('s', running(params));
      params.layers.push(8);
      params.opt.name = 'sgd';
      await st.reportIntermediate('s', t.number, 1, 0.5);
      const rec = (await st.getTrial('s', t.number)) as TrialRecord;
      const list = await st.getTrials('s');
      assert.equal(rec.params, { lr: 0.1, layers: [32, 16], opt: { name: 'adam' } });
      for (const obj of [
        rec,
        rec.params,
        rec.params.layers,
        rec.params.opt,
        rec.intermediate,
        rec.intermediate[0],
        rec.userAttrs,
        rec.system,
        list,
      ]) {
        assert.ok(Object.isFrozen(obj));
      }
      assert.throws(() => ((rec as { state: string }).state = 'complete'));
      assert.throws(() => (rec.intermediate as { step: number; value: number }[]).push({ step: 2, value: 0 }));
      assert.throws(() => ((rec.params.opt as { name: string }).name = 'x'));
      const again = await st.getTrial('s', t.number);
      assert.equal([again?.state, again?.intermediate.length, (again?.params.opt as { name: string }).name], ['running', 1, 'adam']);
    }),
  );

  s(
    'NaN and infinite values survive',
    withStudy(async (st, subject) => {
      const t = await st.createTrial('s', running());
      await st.reportIntermediate('s', t.number, 1, Number.NaN);
      await st.reportIntermediate('s', t.number, 2, Number.POSITIVE_INFINITY);
      await st.reportIntermediate('s', t.number, 3, 0.5, { loss: Number.NaN, gradNorm: 3e4, nonFinite: 1 });
      await rejects(st.reportIntermediate('s', t.number, 4, 0.5, { loss: 'high' } as never), TypeError);
      await st.finishTrial('s', t.number, { state: 'failed', metrics: { loss: Number.NaN, grad: Number.NEGATIVE_INFINITY, acc: 0.5 } });
      const p = await st.createTrial('s', running());
      await st.finishTrial('s', p.number, { state: 'pruned', value: Number.NaN });
      const check = async (storage: Storage) => {
        const got = await storage.getTrial('s', t.number);
        assert.equal(got?.intermediate, [
          { step: 1, value: Number.NaN },
          { step: 2, value: Number.POSITIVE_INFINITY },
          { step: 3, value: 0.5, metrics: { loss: Number.NaN, gradNorm: 3e4, nonFinite: 1 } },
        ]);
        assert.equal(got?.metrics, { loss: Number.NaN, grad: Number.NEGATIVE_INFINITY, acc: 0.5 });
        assert.ok(Number.isNaN((await storage.getTrial('s', p.number))?.value));
      };
      await check(st);
      if (subject.reopen) {
        await st.close();
        const again = await subject.reopen();
        await check(again);
        await again.close();
      }
    }),
  );

  s(
    'getTrialsSince hands out every trial first, then only what changed, each once; an unknown cursor reads everything',
    withStudy(async (st) => {
      assert.ok(typeof st.getTrialsSince === 'function', 'every built-in backend reads incrementally');
      const since = st.getTrialsSince!.bind(st);
      const empty = await since('s', 0);
      assert.equal([empty.full, empty.trials], [true, []]);
      const a = await st.createTrial('s', running({ lr: 0.01 }));
      const b = await st.createTrial('s', running({ lr: 0.02 }));
      const first = await since('s', empty.cursor);
      assert.is(first.full, false);
      assert.equal(first.trials.map((t) => t.number).sort(), [a.number, b.number]);
      assert.equal((await since('s', first.cursor)).trials, [], 'nothing changed since');
      await st.reportIntermediate('s', b.number, 0, 0.5);
      await st.reportIntermediate('s', b.number, 1, 0.4);
      await st.finishTrial('s', b.number, { state: 'complete', value: 0.4 });
      const c = await st.createTrial('s', running());
      const second = await since('s', first.cursor);
      assert.is(second.full, false);
      assert.equal(
        second.trials.map((t) => t.number),
        [b.number, c.number],
        'b once (three changes), then the new trial',
      );
      assert.equal(second.trials[0], await st.getTrial('s', b.number), 'the current record');
      assert.is(second.trials[0]!.state, 'complete');
      assert.equal((await since('s', second.cursor)).trials, []);
      for (const stale of [0, -1, 1e12, 0.5]) {
        const all = await since('s', stale);
        assert.is(all.full, true, `cursor ${stale}`);
        assert.equal(all.trials, await st.getTrials('s'));
      }
      await rejects(since('nope', 0), 'ERR_TUNEKIT_STUDY_NOT_FOUND');
    }),
  );

  s('a closed storage refuses calls', async () => {
    const { storage } = await make();
    await storage.createStudy(studyRecord('s'));
    await storage.close();
    await rejects(storage.createTrial('s', running()), 'ERR_TUNEKIT_STORAGE_CLOSED');
    await rejects(storage.getTrials('s'), 'ERR_TUNEKIT_STORAGE_CLOSED');
  });

  s('after close and reopen everything is still there and numbering continues', async () => {
    const subject = await make();
    if (!subject.reopen) {
      await subject.storage.close();
      assert.ok(true, 'not reopenable: nothing to check');
      return;
    }
    const st = subject.storage;
    await st.createStudy(studyRecord('s'));
    await st.createStudy(studyRecord('other'));
    const a = await st.createTrial('s', { state: 'running', params: { lr: 0.1 }, budget: 3, system: { b: 1 } });
    await st.reportIntermediate('s', a.number, 1, 0.7);
    await st.finishTrial('s', a.number, { state: 'complete', value: 0.7, metrics: { acc: 0.8 } });
    await st.createTrial('s', { state: 'waiting', params: { lr: 0.2 } });
    await st.createTrial('s', { state: 'waiting', params: { lr: 0.3 } });
    const r = await st.createTrial('s', running());
    await st.reportIntermediate('s', r.number, 5, 0.9);
    await st.setTrialUserAttr('s', r.number, 'host', 'a');
    await st.createTrial('other', running());
    const before = await st.getTrials('s');
    await st.close();
    const again = await subject.reopen();
    try {
      assert.equal((await again.listStudies()).sort(), ['other', 's']);
      assert.equal(await again.getStudy('s'), studyRecord('s'));
      assert.equal(await again.getTrials('s'), before);
      assert.is((await again.getTrials('other')).length, 1);
      assert.is((await again.startWaiting('s'))?.number, 1, 'the waiting queue keeps its order');
      assert.is((await again.createTrial('s', running())).number, 4);
      await again.reportIntermediate('s', r.number, 5, 123);
      assert.equal((await again.getTrial('s', r.number))?.intermediate, [{ step: 5, value: 0.9 }]);
      await rejects(again.finishTrial('s', a.number, { state: 'failed' }), 'ERR_TUNEKIT_TRIAL_STATE');
    } finally {
      await again.close();
    }
  });

  s.run();
}
