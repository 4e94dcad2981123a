/**
 * Groups assembly: runs the channel rules over the flattened model graph, couples channel
 * identities with union-find, and turns the resulting equivalence classes into channel groups.
 *
 * Every position of every tensor's last axis carries a channel identity. Identities are born
 * at "origins" (a producer layer's output channels, a model input, an unsupported layer's
 * output) and copied, repeated (depthwise multiplier, flatten) or concatenated by per-channel
 * layers; merges (Add...) and shared layers union them. A union-find class is one "atom": a
 * set of positions that must be removed together. Atoms born from the same set of origins form
 * one group, indexed in the order of the earliest origin's channels.
 */
import type * as tf from '@tensorflow/tfjs';
import { buildModelGraph, type GraphNode, type ModelGraph } from './model-graph';
import { CAPTURE_WALKABLE, layerConfig, RULES, Unsupported, type ChannelRule, type FlowContext } from './rules';
import { UnionFind } from './union-find';
import type { ChannelGroup, DependencyGraph, GraphOptions, GroupMember, LayerPlan, WeightPlan } from './types';

interface Origin {
  name: string;
  kind: 'producer' | 'input' | 'unsupported';
  first: number;
  size: number;
}

class IdSpace {
  readonly uf = new UnionFind();
  readonly originOf: number[] = [];
  readonly origins: Origin[] = [];
  readonly blocked = new Map<number, string>();

  create(name: string, kind: Origin['kind'], size: number): Int32Array {
    const first = this.uf.add(size);
    const o = this.origins.length;
    this.origins.push({ name, kind, first, size });
    const ids = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      ids[i] = first + i;
      this.originOf.push(o);
    }
    return ids;
  }

  block(ids: Int32Array, reason: string): void {
    for (const id of ids) if (!this.blocked.has(id)) this.blocked.set(id, reason);
  }
}

export function shortWeightName(w: tf.LayerVariable): string {
  const n = w.originalName ?? w.name;
  return n.slice(n.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

function planWeights(rule: ChannelRule, layer: tf.layers.Layer, config: Record<string, unknown>, inLen: number, outLen: number): WeightPlan[] {
  const plans: WeightPlan[] = [];
  for (const w of layer.weights) {
    const name = shortWeightName(w);
    const shape = w.shape.map((d) => d ?? 1);
    if (!rule.weights) throw new Unsupported(`has weight ${name} the rule cannot slice`);
    const { axes, block = 1 } = rule.weights(name, shape, config);
    if (axes.length !== shape.length) throw new Unsupported(`weight ${name} has an unexpected rank`);
    axes.forEach((a, i) => {
      const want = a === 'in' ? inLen : a === 'out' ? outLen : a === 'inBlock' ? inLen * block : shape[i];
      if (shape[i] !== want) throw new Unsupported(`weight ${name} axis ${i} is ${shape[i]}, expected ${want}`);
    });
    plans.push({ name, shape, axes, block });
  }
  return plans;
}

/** Runs the rules over all nodes; returns identity layouts per tensor and the layer plans. */
function flowChannels(g: ModelGraph, ids: IdSpace): { layouts: Int32Array[]; plans: Map<string, LayerPlan>; kinds: Map<string, ChannelRule['kind'] | 'unsupported'> } {
  const layouts: Int32Array[] = new Array<Int32Array>(g.tensors.length);
  const plans = new Map<string, LayerPlan>();
  const kinds = new Map<string, ChannelRule['kind'] | 'unsupported'>();
  const owned = new Map<string, Int32Array>();
  const firstInputs = new Map<string, Int32Array>();

  for (const inp of g.inputs) {
    const shape = g.tensors[inp.tensor].shape;
    const ids0 = ids.create(`input:${inp.layer}`, 'input', shape[shape.length - 1] ?? 0);
    ids.block(ids0, `model input channels (${inp.layer})`);
    layouts[inp.tensor] = ids0;
  }

  const unionLayouts = (a: Int32Array, b: Int32Array): void => {
    if (a.length !== b.length) throw new Unsupported(`couples ${a.length} with ${b.length} channels`);
    for (let i = 0; i < a.length; i++) ids.uf.union(a[i], b[i]);
  };

  for (const node of g.nodes) {
    const inputs = node.inputs.map((t) => layouts[t]);
    const outShapes = node.outputs.map((t) => g.tensors[t].shape);
    let outs: Int32Array[];
    const rule = RULES[node.className];
    try {
      if (!rule) throw new Unsupported('');
      let config: Record<string, unknown>;
      try {
        config = layerConfig(node.layer);
      } catch (e) {
        throw new Unsupported(`getConfig failed: ${(e as Error).message}`);
      }
      const ctx: FlowContext = {
        node,
        config,
        inShapes: node.inputs.map((t) => g.tensors[t].shape),
        outShapes,
        inputs,
        fresh(size) {
          const prev = owned.get(node.name);
          if (prev) {
            if (prev.length !== size) throw new Unsupported('shared layer with varying size');
            return prev;
          }
          const created = ids.create(node.name, 'producer', size);
          owned.set(node.name, created);
          return created;
        },
        union: unionLayouts,
        block: (x, reason) => ids.block(x, reason),
      };
      outs = rule.flow(ctx);
      outs.forEach((o, i) => {
        const want = outShapes[i][outShapes[i].length - 1];
        if (want !== null && want !== undefined && o.length !== want) throw new Unsupported(`output ${i} has ${want} channels, rule says ${o.length}`);
      });
      if (node.layer.weights.length > 0) {
        const prev = firstInputs.get(node.name);
        if (prev) unionLayouts(prev, inputs[0]);
        else firstInputs.set(node.name, inputs[0]);
      }
      if (!plans.has(node.name)) {
        plans.set(node.name, {
          name: node.name,
          className: node.className,
          layer: node.layer,
          input: node.inputs[0],
          output: node.outputs[0],
          weights: planWeights(rule, node.layer, config, inputs[0]?.length ?? 0, outs[0]?.length ?? 0),
          sizeKey: rule.sizeKey,
        });
      }
      kinds.set(node.name, rule.kind);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      const why = `unsupported layer ${node.name} of class ${node.className}${e.message ? ` (${e.message})` : ''}`;
      for (const x of inputs) ids.block(x, why);
      outs = outShapes.map((s, i) => {
        const o = ids.create(`${node.name}:out${i}`, 'unsupported', s[s.length - 1] ?? 0);
        ids.block(o, why);
        return o;
      });
      kinds.set(node.name, 'unsupported');
      plans.set(node.name, {
        name: node.name,
        className: node.className,
        layer: node.layer,
        input: node.inputs[0],
        output: node.outputs[0],
        weights: node.layer.weights.map((w) => ({ name: shortWeightName(w), shape: w.shape.map((d) => d ?? 1), axes: w.shape.map(() => 'fixed' as const), block: 1 })),
      });
    }
    node.outputs.forEach((t, i) => (layouts[t] = outs[i]));
  }
  return { layouts, plans, kinds };
}

/** Offsets of a group inside a layout: starts of runs that hold channels 0..n-1 in order. */
function groupOffsets(layout: Int32Array, gi: number, atomGroup: Int32Array, atomIndex: Int32Array, n: number): number[] {
  const offsets: number[] = [];
  let first = -1;
  for (let p = 0; p < layout.length; p++) {
    const a = layout[p];
    if (atomGroup[a] !== gi) continue;
    if (first < 0) first = p;
    if (atomIndex[a] !== 0 || p + n > layout.length) continue;
    let ok = true;
    for (let k = 1; k < n && ok; k++) ok = atomGroup[layout[p + k]] === gi && atomIndex[layout[p + k]] === k;
    if (ok) offsets.push(p);
  }
  if (offsets.length === 0 && first >= 0) offsets.push(first);
  return offsets.length > 8 ? offsets.slice(0, 1) : offsets;
}

/** Builds the channel groups of a model (see module doc). */
export function buildGroups(model: tf.LayersModel, options: GraphOptions = {}): DependencyGraph {
  const g = buildModelGraph(model);
  const ids = new IdSpace();
  const { layouts: idLayouts, plans, kinds } = flowChannels(g, ids);

  for (const t of g.outputs) ids.block(idLayouts[t], `model output units (${g.tensors[t].producer >= 0 ? g.nodes[g.tensors[t].producer].name : 'input'})`);
  for (const name of options.protect ?? []) {
    for (const node of g.nodes) {
      if (node.name !== name) continue;
      for (const t of [...node.inputs, ...node.outputs]) ids.block(idLayouts[t], `protected layer ${name}`);
    }
  }

  // Atoms = union-find classes.
  const nIds = ids.uf.count;
  const rootAtom = new Map<number, number>();
  const idAtom = new Int32Array(nIds);
  const atomOrigins: number[][] = [];
  const atomKey: number[] = []; // index of the atom's earliest id inside its origin
  for (let id = 0; id < nIds; id++) {
    const r = ids.uf.find(id);
    let a = rootAtom.get(r);
    if (a === undefined) {
      a = atomOrigins.length;
      rootAtom.set(r, a);
      atomOrigins.push([]);
      atomKey.push(id - ids.origins[ids.originOf[id]].first);
    }
    idAtom[id] = a;
    const list = atomOrigins[a];
    if (!list.includes(ids.originOf[id])) list.push(ids.originOf[id]);
  }
  const nAtoms = atomOrigins.length;

  // Group atoms by origin signature.
  const bySig = new Map<string, number[]>();
  for (let a = 0; a < nAtoms; a++) {
    const sig = atomOrigins[a].slice().sort((x, y) => x - y).join(',');
    const list = bySig.get(sig);
    if (list) list.push(a);
    else bySig.set(sig, [a]);
  }
  const rawGroups = [...bySig.values()].map((atoms) => {
    atoms.sort((x, y) => atomKey[x] - atomKey[y]);
    const primary = Math.min(...atomOrigins[atoms[0]]);
    return { atoms, primary, key: atomKey[atoms[0]] };
  });
  rawGroups.sort((x, y) => x.primary - y.primary || x.key - y.key);

  const atomGroup = new Int32Array(nAtoms);
  const atomIndex = new Int32Array(nAtoms);
  const groupAtoms: Int32Array[] = [];
  rawGroups.forEach((rg, gi) => {
    rg.atoms.forEach((a, k) => {
      atomGroup[a] = gi;
      atomIndex[a] = k;
    });
    groupAtoms.push(Int32Array.from(rg.atoms));
  });

  const atomBlocked: (string | undefined)[] = new Array<string | undefined>(nAtoms);
  for (const [id, reason] of ids.blocked) if (atomBlocked[idAtom[id]] === undefined) atomBlocked[idAtom[id]] = reason;

  const layouts = idLayouts.map((l) => (l ? l.map((id) => idAtom[id]) : new Int32Array(0)));

  const usedIds = new Set<string>();
  const groups: ChannelGroup[] = rawGroups.map((rg) => {
    const o = ids.origins[rg.primary];
    let id = o.name;
    if (usedIds.has(id)) id = `${o.name}@${rg.key}`;
    let n = 2;
    while (usedIds.has(id)) id = `${o.name}@${rg.key}#${n++}`;
    usedIds.add(id);
    const reason = rg.atoms.map((a) => atomBlocked[a]).find((r) => r !== undefined);
    const producers: string[] = [];
    for (const oi of atomOrigins[rg.atoms[0]].slice().sort((x, y) => x - y)) {
      const origin = ids.origins[oi];
      if (origin.kind === 'producer' && !producers.includes(origin.name)) producers.push(origin.name);
    }
    const group: ChannelGroup = { id, channels: rg.atoms.length, prunable: reason === undefined, members: [], producers, bnLayers: [], capture: [] };
    if (reason !== undefined) group.reason = reason;
    const fixed = producers.filter((p) => g.layers.get(p)?.trainable === false);
    if (fixed.length > 0) group.fixedProducers = fixed;
    return group;
  });

  // Members.
  const memberKeys = groups.map(() => new Set<string>());
  const addMembers = (node: GraphNode, tensor: number, role: GroupMember['role']): void => {
    const layout = layouts[tensor];
    const present = new Set<number>();
    for (const a of layout) present.add(atomGroup[a]);
    for (const gi of present) {
      const grp = groups[gi];
      for (const offset of groupOffsets(layout, gi, atomGroup, atomIndex, grp.channels)) {
        const key = `${node.name}|${role}|${offset}`;
        if (memberKeys[gi].has(key)) continue;
        memberKeys[gi].add(key);
        grp.members.push({ layer: node.name, role, offset });
      }
      if (node.className === 'BatchNormalization' && !grp.bnLayers.includes(node.name)) grp.bnLayers.push(node.name);
    }
  };
  for (const node of g.nodes) {
    const kind = kinds.get(node.name);
    const inRole: GroupMember['role'] = kind === 'passthrough' ? 'passthrough' : 'consumer';
    const outRole: GroupMember['role'] = kind === 'passthrough' ? 'passthrough' : 'producer';
    if (kind === 'passthrough') {
      // per-channel layer: list it once, by its output when it has one
      for (const t of node.outputs) addMembers(node, t, 'passthrough');
      for (const t of node.inputs) {
        const present = new Set<number>();
        for (const a of layouts[t]) present.add(atomGroup[a]);
        for (const gi of present) if (![...memberKeys[gi]].some((k) => k.startsWith(`${node.name}|`))) addMembers(node, t, inRole);
      }
    } else {
      for (const t of node.inputs) addMembers(node, t, inRole);
      for (const t of node.outputs) addMembers(node, t, outRole);
    }
  }

  // Capture points: walk from each producer output through BN/activation/merge chains.
  const isOutput = new Set(g.outputs);
  for (const node of g.nodes) {
    if (kinds.get(node.name) !== 'producer') continue;
    const start = node.outputs[0];
    const gis = new Set<number>();
    for (const a of layouts[start]) gis.add(atomGroup[a]);
    for (const gi of gis) {
      const grp = groups[gi];
      let cur = start;
      for (;;) {
        const consumers = new Set(g.tensors[cur].consumers);
        if (isOutput.has(cur) || consumers.size !== 1) break;
        const next = g.nodes[[...consumers][0]];
        if (!CAPTURE_WALKABLE.has(next.className) || kinds.get(next.name) !== 'passthrough') break;
        cur = next.outputs[0];
      }
      const producer = g.tensors[cur].producer;
      if (producer < 0) continue;
      const layer = g.nodes[producer].name;
      const offset = groupOffsets(layouts[cur], gi, atomGroup, atomIndex, grp.channels)[0] ?? 0;
      if (!grp.capture.some((c) => c.layer === layer && c.offset === offset)) grp.capture.push({ layer, offset });
    }
  }

  return { groups, model, internals: { graph: g, layouts, atomGroup, atomIndex, groupAtoms, layers: plans } };
}
