// The summary tables say where a run came from (one commit or not, which cells ran under load) and put the recorded
// numbers, and only those, next to the outside references.
import { describe, expect, it } from 'vitest';
import { loadBetween } from '../../../bench/lib/cells.mjs';
import { modelRows, provenance, renderProvenance, renderReadme, renderSameBudget, SAME_BUDGET } from '../../../bench/lib/report-summary.mjs';

const load = (foreignCores, underLoad = foreignCores > 0.25) => ({ before: [1.1, 1, 1], after: [1.9, 1.2, 1], foreignCores, ownCores: 1.8, underLoad });
const cell = (result, extra = {}) => ({ status: 'ok', commit: 'abc1234567890', at: '2026-12-02T21:00:00.000Z', ms: 60_000, load: load(0.01), result, ...extra });
const pair = (a, b) => ({ a: { medianMs: a }, b: { medianMs: b }, ratio: { median: a / b, low: a / b - 0.1, high: a / b + 0.1 } });
const recovered = (top1, ft, extra = {}) => ({
  arch: 'resnet56', criterion: 'l1', method: 'reconstruct', scope: 'error', calibrationImages: 512, recoverMs: 23_000,
  base: { params: 853018, macs: 125.5e6, flops: 251e6, bytes: 3.4e6 }, pruned: { params: 420e3, macs: 62.7e6, flops: 125.4e6, bytes: 1.7e6, top1Test0to999: top1 },
  fineTune: { top1: ft, budget: { lr: 0.003, trainImages: 4000 } }, ...extra,
});

function data() {
  return {
    mode: 'full', config: { subset: { train: 4000 }, criteria: [], pruneArch: 'resnet56' },
    cells: {
      env: cell({ git: { commit: 'abc1234567890', dirty: false }, cpu: { cores: 2 } }, { ms: 10 }),
      'accuracy:resnet56:test0-999': cell({ top1: 0.926, params: 853018, macs: 125.5e6, flops: 251e6, bytes: 3.4e6 }),
      'accuracy:resnet56:test-full': cell({ top1: 0.83 }),
      'runtimes:resnet56': cell({ original: { params: 853018, macs: 125.5e6, flops: 251e6, bytes: 3.4e6 }, pruned: { params: 430e3, macs: 62.6e6, flops: 125.2e6, bytes: 1.72e6 }, pair: { wasm: pair(12, 9), 'litert-wasm': pair(6, 7.5), 'ort-wasm': pair(7.4, 4.2) } }),
      'recover:resnet56:l1:none': cell({ ...recovered(0.394, 0.889), method: 'none', scope: 'inner' }),
      'recover:resnet56:l1:reconstruct': cell(recovered(0.9, 0.915, { fineTune: { top1: 0.915, top1TestFull: 0.84, budget: { lr: 0.003, trainImages: 4000 }, runtimes: { wasm: pair(12.4, 5.1) } } })),
      'recover:resnet56:l1:reconstruct@inner': cell({ ...recovered(0.883, 0.896), scope: 'inner' }, { load: load(0.6) }),
      'recover:resnet56:l1:bn': { status: 'error', commit: 'abc1234567890', at: '2026-12-02T21:10:00.000Z', ms: 5000, load: load(0), error: { message: 'boom in bn' } },
    },
  };
}

describe('bench summary', () => {
  it('says one commit only when every cell ran on the same clean commit, and lists the cells measured under load', () => {
    const p = provenance(data());
    expect(p.oneCommit).toBe(true);
    expect(p.flagged).toEqual(['recover:resnet56:l1:reconstruct@inner']);
    expect(p.failed).toEqual(['recover:resnet56:l1:bn']);
    expect(renderProvenance(data()).join('\n')).toContain('**One commit:** all 8 cells ran on git `abc1234567890`');
    const mixed = data();
    mixed.cells['accuracy:resnet56:test-full'].commit = 'def0000000000';
    expect(provenance(mixed).oneCommit).toBe(false);
    expect(renderProvenance(mixed).join('\n')).toContain('**Not one commit:**');
    const dirty = data();
    dirty.cells.env.result.git.dirty = true;
    expect(provenance(dirty).oneCommit).toBe(false);
  });

  it('puts each studio cell next to its reference with the difference in points, and marks what did not run', () => {
    const md = renderSameBudget(data()).join('\n');
    expect(md).toMatch(/\| no recovery, no fine-tune \| 39\.0 % \| \*\*39\.4 %\*\* \| \+0\.4 \|/);
    expect(md).toMatch(/\| BatchNorm recalibration, no fine-tune \| 80\.3 % \| failed: boom in bn \|/);
    expect(md).toMatch(/reconstruction on 512 images, no fine-tune \| 89\.0 % \| \*\*88\.3 %\*\* \| −0\.7 \|/);
    expect(md).toMatch(/reconstruction on 2,000 images, no fine-tune \| 89\.3 % \| not run \|/);
    // every reference appears once per studio cell that answers it
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| budget') && !l.startsWith('| ---')).length).toBe(SAME_BUDGET.reduce((a, r) => a + r.studio.length, 0));
  });

  it('gives every model row the seed\'s measures from its own cells', () => {
    const rows = modelRows(data());
    const orig = rows.find((r) => r[0].includes('ResNet-56') && r[1] === 'original');
    expect(orig.slice(2, 11)).toEqual(['92.6 %', '83.0 %', '853.0k', '125.50M', '251.00M', '3.40 MB', '12.0 ms', '6.00 ms', '7.40 ms']);
    const pruned = rows.find((r) => r[1].startsWith('L1 −50 % MACs, studio defaults'));
    expect(pruned.at(-2)).toBe('×1.33 / ×0.80 / ×1.76');
    expect(pruned.at(-1)).toBe('×2.00');
    const rec = rows.find((r) => r[1].includes('reconstruction + 1 distilled epoch'));
    expect(rec.slice(2, 4)).toEqual(['**91.5 %**', '84.0 %']);
    expect(rec[8]).toBe('5.10 ms');
    expect(rec[9]).toBe('—');
  });

  it('renders the README block from the same run', () => {
    const md = renderReadme(data(), 'bench/results/x.json');
    expect(md).toContain('**one commit** (`abc1234567`)');
    expect(md).toContain('cells flagged under load: recover:resnet56:l1:reconstruct@inner');
    expect(md).toContain('failed: recover:resnet56:l1:bn');
    expect(md).toContain('Same budget as the references');
  });

  it('measures the CPU other processes used during a cell, and does not judge cells too short to tell', () => {
    const at = 1_000_000;
    const snap = (dt, busy, own) => ({ at: at + dt, loadavg: [1, 1, 1], machine: { busy, total: 0 }, own });
    // 10 s, the machine busy 1,500 ticks (15 core-seconds), the bench 1,000 of them: others 0.5 core
    expect(loadBetween(snap(0, 0, 0), snap(10_000, 1500, 1000))).toMatchObject({ foreignCores: 0.5, ownCores: 1, underLoad: true });
    expect(loadBetween(snap(0, 0, 0), snap(10_000, 1000, 1000)).underLoad).toBe(false);
    expect(loadBetween(snap(0, 0, 0), snap(2_000, 400, 0)).underLoad).toBeNull();
  });
});
