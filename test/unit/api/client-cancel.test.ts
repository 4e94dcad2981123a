/**
 * The page-side client over a real Comlink channel: cancelling one job stops that job alone; when the worker must be
 * terminated (the job does not stop in time) the other running jobs are rejected with a specific engine-restarted
 * error and the respawned worker is put back on the backend the user chose.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { StudioClient, type JobState } from '../../../src/api/client';

interface FakeEngine {
  calls: string[];
  stuck: boolean;
  settle: Map<string, (v: unknown, err?: Error) => void>;
}

/** A worker stand-in: a MessageChannel whose far end exposes a tiny engine (jobs settle when told, or never). */
function spawner(engines: FakeEngine[]): () => Worker {
  return () => {
    const { port1, port2 } = new MessageChannel();
    const eng: FakeEngine = { calls: [], stuck: false, settle: new Map() };
    engines.push(eng);
    const job = (method: string) => (...args: unknown[]) => {
      const jobId = args[args.length - 1] as string;
      eng.calls.push(`${method} ${jobId}`);
      return new Promise((resolve, reject) => eng.settle.set(jobId, (v, err) => (err ? reject(err) : resolve(v))));
    };
    Comlink.expose({
      train: job('train'),
      evaluate: job('evaluate'),
      async cancel(jobId: string) {
        eng.calls.push(`cancel ${jobId}`);
        if (!eng.stuck) eng.settle.get(jobId)?.(undefined, Object.assign(new Error('The operation was cancelled.'), { name: 'StudioError', code: 'cancelled' }));
      },
      async setBackend(name: string) { eng.calls.push(`setBackend ${name}`); return []; },
    }, port2);
    let terminated = false;
    return {
      postMessage: (m: unknown, t?: Transferable[]) => { if (!terminated) port1.postMessage(m, t ?? []); },
      addEventListener: port1.addEventListener.bind(port1),
      removeEventListener: port1.removeEventListener.bind(port1),
      start: () => port1.start(),
      terminate: () => { terminated = true; eng.calls.push('terminated'); port1.close(); port2.close(); },
    } as unknown as Worker;
  };
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

async function startTwo(client: StudioClient): Promise<{ train: Promise<unknown>; evaluate: Promise<unknown>; ids: Record<string, string> }> {
  let jobs: JobState[] = [];
  client.onJobs((j) => (jobs = j));
  const train = client.job('train', ['m', 'd', { epochs: 1 }]);
  const evaluate = client.job('evaluate', ['m', 'd', {}]);
  train.catch(() => undefined);
  evaluate.catch(() => undefined);
  await tick();
  return { train, evaluate, ids: Object.fromEntries(jobs.map((j) => [j.method, j.jobId])) };
}

describe('StudioClient cancel', () => {
  it('cancelling one job (cooperatively) leaves the other running', async () => {
    const engines: FakeEngine[] = [];
    const client = new StudioClient(spawner(engines), { cancelGraceMs: 60 });
    const { train, evaluate, ids } = await startTwo(client);
    await client.cancel(ids.train);
    await expect(train).rejects.toThrow(/cancelled/);
    await tick(120);
    engines[0]!.settle.get(ids.evaluate!)?.({ top1: 0.5 });
    expect(await evaluate).toEqual({ top1: 0.5 });
    expect(engines).toHaveLength(1);
    expect(engines[0]!.calls).not.toContain('terminated');
    client.terminate();
  });

  it('a job that does not stop: the worker restarts, the others get engine-restarted, the chosen backend is restored', async () => {
    const engines: FakeEngine[] = [];
    const client = new StudioClient(spawner(engines), { cancelGraceMs: 60 });
    client.rememberBackend('wasm');
    engines[0]!.stuck = true;
    const { train, evaluate, ids } = await startTwo(client);
    await client.cancel(ids.train);
    await expect(train).rejects.toMatchObject({ code: 'cancelled' });
    const err = await evaluate.then(() => null, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toBe('engine-restarted');
    expect(err?.message).toMatch(/to stop train.*this evaluate was stopped/);
    await client.restored;
    expect(engines).toHaveLength(2);
    expect(engines[0]!.calls).toContain('terminated');
    expect(engines[1]!.calls).toEqual(['setBackend wasm']);
    client.terminate();
  });
});
