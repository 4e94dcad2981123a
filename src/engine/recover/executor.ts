/**
 * Layer-by-layer execution of a model's flattened graph (graph/model-graph.ts) over a fixed calibration set held
 * as chunks of images. Each tensor's value is a list of chunk tensors on the active backend; a value is computed on
 * first request (producers first, memoised) and disposed once every consuming node has run. This lets recovery
 * change a layer's weights just before the layer runs, so everything downstream sees the change, and look at any
 * upstream value of the same network meanwhile, while memory stays bounded by the live "frontier" of the graph.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import type { GraphNode, ModelGraph } from '../graph/model-graph';

export type Chunks = tf.Tensor[];

export interface ExecutorHooks {
  /** Called with a node's input values just before it runs (its weights may be changed here). */
  beforeNode?(node: GraphNode, inputs: Chunks[]): Promise<void>;
}

export class GraphExecutor {
  private readonly values = new Map<number, Chunks>();
  private readonly pending: Int32Array;
  private readonly ran: Uint8Array;

  constructor(
    readonly graph: ModelGraph,
    inputs: Chunks,
    private readonly hooks: ExecutorHooks = {},
  ) {
    if (graph.inputs.length !== 1) throw new StudioError('unsupported-layer', `Recovery needs a model with one image input (this one has ${graph.inputs.length}).`);
    this.pending = new Int32Array(graph.tensors.length);
    for (const node of graph.nodes) for (const t of node.inputs) this.pending[t]!++;
    for (const t of graph.outputs) this.pending[t]!++;
    this.ran = new Uint8Array(graph.nodes.length);
    // a private reference to each input chunk: several executors may share one calibration set
    this.values.set(graph.inputs[0]!.tensor, inputs.map((x) => tf.clone(x)));
  }

  /** Keeps tensor `t`'s value alive past its last consumer until a matching drop(). */
  hold(t: number): void {
    this.pending[t]!++;
  }

  drop(t: number): void {
    this.release(t);
  }

  /** The value of tensor `t` (computing what it needs); owned by the executor. */
  async value(t: number): Promise<Chunks> {
    const have = this.values.get(t);
    if (have) return have;
    const producer = this.graph.tensors[t]!.producer;
    if (producer < 0) throw new StudioError('internal', `Tensor ${t} is a model input without a value.`);
    await this.run(producer);
    const v = this.values.get(t);
    if (!v) throw new StudioError('internal', `Tensor ${t} has no value after its producer ran (was it freed?).`);
    return v;
  }

  /** Runs node `index` (after its inputs), once. */
  async run(index: number): Promise<void> {
    if (this.ran[index]) return;
    const node = this.graph.nodes[index]!;
    const inputs: Chunks[] = [];
    for (const t of node.inputs) inputs.push(await this.value(t));
    if (this.ran[index]) return;
    await this.hooks.beforeNode?.(node, inputs);
    const chunks = inputs[0]!.length;
    const outs: Chunks[] = node.outputs.map(() => []);
    for (let c = 0; c < chunks; c++) {
      const res = tf.tidy(() => {
        const args = inputs.map((v) => v[c]!);
        const r = node.layer.apply(args.length === 1 ? args[0]! : args, { training: false }) as tf.Tensor | tf.Tensor[];
        return Array.isArray(r) ? r : [r];
      });
      if (res.length !== node.outputs.length) {
        tf.dispose(res);
        throw new StudioError('unsupported-layer', `Layer ${node.name} returned ${res.length} outputs, expected ${node.outputs.length}.`);
      }
      res.forEach((r, i) => outs[i]!.push(r));
    }
    this.ran[index] = 1;
    node.outputs.forEach((t, i) => this.values.set(t, outs[i]!));
    for (const t of node.inputs) this.release(t);
  }

  /** Runs every node in topological order (the graph's node order). */
  async runAll(onNode?: (done: number, total: number) => Promise<void> | void): Promise<void> {
    const total = this.graph.nodes.length;
    for (let i = 0; i < total; i++) {
      await this.run(i);
      await onNode?.(i + 1, total);
    }
  }

  private release(t: number): void {
    if (--this.pending[t]! > 0) return;
    const v = this.values.get(t);
    if (v) tf.dispose(v);
    this.values.delete(t);
  }

  /** Frees every value still held. */
  dispose(): void {
    for (const v of this.values.values()) tf.dispose(v);
    this.values.clear();
  }
}
