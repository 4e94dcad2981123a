/**
 * Analytic params/MACs of a pruned model without building it. Every weight's size is
 * K · in^a · out^b (a, b ∈ {0,1}), where `in`/`out` are the kept channel positions of the
 * layer's input/output tensor, each a linear form Σ_g c_g·kept_g over channel groups.
 * MACs follow src/engine/metrics/count.ts (conv/dense/depthwise/separable kernels × spatial
 * size; fixed plumbing layers excluded). Params are the learned (trainable) parameters, the ModelInfo.params
 * convention: BN running statistics and fixed layers are left out. Factors are cached per graph.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { countModel } from '../metrics/count';
import { RULES } from '../graph/rules';
import type { DependencyGraph } from '../graph/types';

interface Form {
  groups: Int32Array;
  coefs: Float64Array;
}
interface Term {
  k: number;
  useIn: boolean;
  useOut: boolean;
  /** multiplier for MACs (0 when the weight is not counted as MACs). */
  macScale: number;
  /** counted in `params`: a trainable (learned) weight, not BN running statistics or a fixed layer's kernel. */
  learned: boolean;
}
interface LayerCost {
  name: string;
  className: string;
  /** The layer's MACs are counted (conv / dense / depthwise / separable, not fixed plumbing). */
  countsMacs: boolean;
  inForm: Form;
  outForm: Form;
  terms: Term[];
}
interface CostModel {
  layers: LayerCost[];
  paramsOffset: number;
  macsOffset: number;
  index: Map<string, number>;
  full: Float64Array;
}

const cache = new WeakMap<DependencyGraph, CostModel>();

function spatial(shape: (number | null)[]): number {
  let p = 1;
  for (let i = 1; i < shape.length - 1; i++) p *= shape[i] ?? 1;
  return shape.length > 2 ? p : 1;
}

function buildCostModel(model: tf.LayersModel, graph: DependencyGraph): CostModel {
  const { graph: g, layouts, atomGroup, layers } = graph.internals;
  const counted = countModel(model);
  const fixed = new Set(counted.layers.filter((l) => l.fixed).map((l) => l.name.slice(l.name.lastIndexOf('/') + 1)));
  const formOf = (tensor: number): Form => {
    const counts = new Map<number, number>();
    for (const a of layouts[tensor]) counts.set(atomGroup[a], (counts.get(atomGroup[a]) ?? 0) + 1);
    const gs = [...counts.keys()];
    return {
      groups: Int32Array.from(gs),
      coefs: Float64Array.from(gs.map((gi) => (counts.get(gi) ?? 0) / graph.groups[gi].channels)),
    };
  };
  const out: LayerCost[] = [];
  for (const plan of layers.values()) {
    if (plan.weights.length === 0) continue;
    const macsRule = RULES[plan.className]?.macs;
    const countsMacs = macsRule && !fixed.has(plan.name);
    const spatialSize = countsMacs ? spatial(g.tensors[macsRule.spatialOf === 'in' ? plan.input : plan.output].shape) : 0;
    const learnedWeights = new Set(plan.layer.trainableWeights);
    const terms: Term[] = plan.weights.map((w, wi) => {
      let k = 1;
      let useIn = false;
      let useOut = false;
      w.axes.forEach((a, i) => {
        if (a === 'in') useIn = true;
        else if (a === 'out') useOut = true;
        else if (a === 'inBlock') {
          useIn = true;
          k *= w.block;
        } else k *= w.shape[i];
      });
      const macScale = countsMacs && macsRule.weights.includes(w.name) ? spatialSize : 0;
      const v = plan.layer.weights[wi];
      return { k, useIn, useOut, macScale, learned: v !== undefined && learnedWeights.has(v) };
    });
    out.push({ name: plan.name, className: plan.className, countsMacs: Boolean(countsMacs), inForm: formOf(plan.input), outForm: formOf(plan.output), terms });
  }
  const cm: CostModel = {
    layers: out,
    paramsOffset: 0,
    macsOffset: 0,
    index: new Map(graph.groups.map((grp, i) => [grp.id, i])),
    full: Float64Array.from(graph.groups.map((grp) => grp.channels)),
  };
  const base = evaluate(cm, cm.full);
  cm.paramsOffset = counted.trainableParams - base.params;
  cm.macsOffset = counted.macs - base.macs;
  return cm;
}

const evalForm = widthOf;

function evaluate(cm: CostModel, kept: Float64Array): { params: number; macs: number } {
  let params = 0;
  let macs = 0;
  for (const l of cm.layers) {
    const cin = evalForm(l.inForm, kept);
    const cout = evalForm(l.outForm, kept);
    for (const t of l.terms) {
      const size = t.k * (t.useIn ? cin : 1) * (t.useOut ? cout : 1);
      if (t.learned) params += size;
      macs += size * t.macScale;
    }
  }
  return { params, macs };
}

/**
 * Learned params (= countModel().trainableParams = ModelInfo.params) and MACs (count.ts convention) the model would have with `keptPerGroup[id]` channels
 * kept in each group (missing groups keep all). Pure arithmetic; cached per graph.
 */
export function countAfterPruning(model: tf.LayersModel, graph: DependencyGraph, keptPerGroup: Record<string, number>): { params: number; macs: number } {
  const cm = costModel(model, graph);
  const r = evaluate(cm, keptVector(cm, keptPerGroup));
  return { params: Math.round(r.params + cm.paramsOffset), macs: Math.round(r.macs + cm.macsOffset) };
}

function costModel(model: tf.LayersModel, graph: DependencyGraph): CostModel {
  if (graph.model !== model) throw new StudioError('bad-input', 'countAfterPruning: the graph was built for a different model.');
  let cm = cache.get(graph);
  if (!cm) {
    cm = buildCostModel(model, graph);
    cache.set(graph, cm);
  }
  return cm;
}

/** A layer's channel count as a linear form Σ coefs[i] · kept[groups[i]] over the graph's group indices. */
export interface WidthForm { groups: Int32Array; coefs: Float64Array }

/** Per MACs-counting layer (conv, dense, depthwise, separable): how its input and output widths follow the groups. */
export interface LayerWidthForm { name: string; className: string; inForm: WidthForm; outForm: WidthForm }

/** The width forms of every MACs-counting layer (group indices are positions in graph.groups). */
export function layerWidthForms(model: tf.LayersModel, graph: DependencyGraph): LayerWidthForm[] {
  return costModel(model, graph).layers.filter((l) => l.countsMacs).map((l) => ({ name: l.name, className: l.className, inForm: l.inForm, outForm: l.outForm }));
}

/** A width form's value for kept channel counts indexed like graph.groups. */
export function widthOf(f: WidthForm, kept: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < f.groups.length; i++) s += f.coefs[i]! * kept[f.groups[i]!]!;
  return s;
}

function keptVector(cm: CostModel, keptPerGroup: Record<string, number>): Float64Array {
  const kept = cm.full.slice();
  for (const [id, n] of Object.entries(keptPerGroup)) {
    const gi = cm.index.get(id);
    if (gi === undefined) throw new StudioError('bad-input', `countAfterPruning: unknown channel group "${id}".`);
    if (!(n >= 0 && n <= cm.full[gi])) throw new StudioError('bad-input', `countAfterPruning: group "${id}" cannot keep ${n} of ${cm.full[gi]} channels.`);
    kept[gi] = n;
  }
  return kept;
}
