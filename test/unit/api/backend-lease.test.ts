/**
 * The backend lease: jobs on one backend share it, nothing switches the backend under a running job (a benchmark
 * started during training waits, a stray switch fails with backend-busy), a queued job can be cancelled alone, and
 * the real tfjs backend stays put under a running job.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadBackendLease } from '../../../src/api/worker/backend-lease';
import { BackendLease, type BackendSwitcher } from '../../../src/api/jobs';
import { switchBackend } from '../../../src/engine/backends/probe';
import { initWasmForNode } from '../../helpers/wasm';

function fakeSwitcher(start = 'webgpu'): BackendSwitcher & { log: string[] } {
  let active = start;
  const log: string[] = [];
  return { log, active: () => active, switchTo: async (n) => { await new Promise((r) => setTimeout(r, 5)); log.push(n); active = n; } };
}

const deferred = () => {
  let resolve!: () => void;
  const p = new Promise<void>((r) => (resolve = r));
  return { p, resolve };
};
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('BackendLease', () => {
  it('jobs on the same backend run together; a job for another backend waits until they end', async () => {
    const sw = fakeSwitcher('webgpu');
    const lease = new BackendLease(sw);
    const order: string[] = [];
    const a = deferred();
    const b = deferred();
    const ja = lease.shared('current', 'evaluate', async () => { order.push('a start'); await a.p; order.push('a end'); });
    const jb = lease.shared('webgpu', 'analysis', async () => { order.push('b start'); await b.p; order.push('b end'); });
    let waited: string[] = [];
    const jc = lease.shared('wasm', 'training', async () => { order.push(`c on ${sw.active()}`); }, { onWait: (x) => (waited = x) });
    await tick();
    expect(order).toEqual(['a start', 'b start']);
    expect(waited).toEqual(['evaluate', 'analysis']);
    expect(() => lease.checkSwitch('wasm')).toThrow(/evaluate, analysis are running on webgpu/);
    a.resolve();
    await ja;
    await tick();
    expect(order).not.toContain('c on wasm');
    b.resolve();
    await Promise.all([jb, jc]);
    expect(order).toEqual(['a start', 'b start', 'a end', 'b end', 'c on wasm']);
    expect(sw.log).toEqual(['wasm']);
  });

  it('an exclusive job (benchmark) started during training waits for it, runs alone and restores the backend', async () => {
    const sw = fakeSwitcher('wasm');
    const lease = new BackendLease(sw);
    const train = deferred();
    const seen: string[] = [];
    const t = lease.shared('wasm', 'training', async () => { await train.p; seen.push(`training ended on ${sw.active()}`); });
    const bench = lease.exclusive('benchmark', async () => { await sw.switchTo('webgpu'); seen.push('benchmark on webgpu'); });
    const later = lease.shared('current', 'evaluate', async () => { seen.push(`evaluate on ${sw.active()}`); });
    await tick();
    expect(seen).toEqual([]);
    train.resolve();
    await Promise.all([t, bench, later]);
    expect(seen).toEqual(['training ended on wasm', 'benchmark on webgpu', 'evaluate on wasm']);
  });

  it('a short call may pass a queued exclusive job when it can share with the running one', async () => {
    const lease = new BackendLease(fakeSwitcher('wasm'));
    const train = deferred();
    const t = lease.shared('wasm', 'training', () => train.p);
    const bench = lease.exclusive('benchmark', async () => 'bench');
    let shortRan = false;
    await lease.shared('current', 'feature maps', async () => { shortRan = true; }, { jump: true });
    expect(shortRan).toBe(true);
    train.resolve();
    await t;
    expect(await bench).toBe('bench');
  });

  it('cancelling a queued job rejects it alone; the running job and the queue go on', async () => {
    const lease = new BackendLease(fakeSwitcher('wasm'));
    const run = deferred();
    const running = lease.shared('wasm', 'training', async () => { await run.p; return 'trained'; });
    const ctl = new AbortController();
    const queued = lease.exclusive('benchmark', async () => 'never');
    const other = lease.shared('webgpu', 'evaluate', async () => 'evaluated', { signal: ctl.signal });
    await tick();
    ctl.abort();
    await expect(other).rejects.toMatchObject({ code: 'cancelled' });
    run.resolve();
    expect(await running).toBe('trained');
    expect(await queued).toBe('never');
  });

  it('a failed switch rejects the job that needed it and frees the lease', async () => {
    const lease = new BackendLease({ active: () => 'wasm', switchTo: async () => { throw new Error('no webgpu here'); } });
    await expect(lease.shared('webgpu', 'training', async () => 'x')).rejects.toThrow(/no webgpu here/);
    expect(await lease.shared('wasm', 'evaluate', async () => 'ok')).toBe('ok');
    expect(lease.holding()).toEqual([]);
  });
});

describe('the worker lease on real tfjs backends', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await initWasmForNode();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('a switch requested during a running job fails with backend-busy and the job keeps its backend', async () => {
    const lease = threadBackendLease();
    const steps: string[] = [];
    const stop = deferred();
    const job = lease.shared('cpu', 'training', async () => {
      for (let i = 0; i < 3; i++) {
        steps.push(tf.getBackend());
        await tick();
      }
      await stop.p;
      steps.push(tf.getBackend());
    });
    await tick();
    await expect(switchBackend('wasm')).rejects.toMatchObject({ code: 'backend-busy' });
    const bench = lease.exclusive('benchmark', async () => { await switchBackend('wasm'); return tf.getBackend(); });
    await tick();
    stop.resolve();
    await job;
    expect(steps).toEqual(['cpu', 'cpu', 'cpu', 'cpu']);
    expect(await bench).toBe('wasm');
    expect(tf.getBackend()).toBe('cpu'); // restored after the exclusive job
  });
});
