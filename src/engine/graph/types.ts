/**
 * Public types of the channel dependency graph: which channels of which layers must be
 * pruned together ("channel groups"), and the internal per-channel structure surgery uses.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from './model-graph';

export interface GroupMember {
  /** Layer name (inner name for layers of nested models). */
  layer: string;
  /**
   * producer: its output channels/units are this group (conv/dense out);
   * consumer: its input channels read this group (conv/dense/separable in-axis, at offset);
   * passthrough: per-channel layer (BN, depthwise, activation, pooling, add, concat...).
   */
  role: 'producer' | 'consumer' | 'passthrough';
  /** Channel offset of this group inside the member's channel axis (last axis). */
  offset: number;
}

export interface ChannelGroup {
  /** Stable, readable id: the first producer's layer name (suffixed `@offset` when a producer is split). */
  id: string;
  /** Current channel count of the group. */
  channels: number;
  prunable: boolean;
  /** Why not prunable (model input, model output, unsupported layer, protected...). */
  reason?: string;
  members: GroupMember[];
  /** Layers whose kernels' OUTPUT axis is this group (weight-based criteria read these). */
  producers: string[];
  /**
   * Producers that are not trainable (e.g. akamaster's fixed 0/1 option-A shortcut convs): their
   * kernels are routing, not learned filters, so weight-based criteria should skip them.
   * Absent when there are none.
   */
  fixedProducers?: string[];
  /** BatchNormalization layers over this group. */
  bnLayers: string[];
  /**
   * Layer outputs whose channels [offset, offset+channels) best represent the group's feature
   * maps: after BN+activation; residual groups: after each add's activation; channels reaching
   * a Concatenate: the concat output slice.
   */
  capture: { layer: string; offset: number }[];
}

/** How a weight axis is sliced: by kept input positions, kept output positions, input positions
 *  expanded into blocks of `block` (separable pointwise rows), or not at all (`fixed`). */
export type AxisRole = 'in' | 'out' | 'inBlock' | 'fixed';

export interface WeightPlan {
  /** Short weight name, e.g. 'kernel', 'gamma'. */
  name: string;
  shape: number[];
  axes: AxisRole[];
  /** Block size for 'inBlock' axes (depthwise multiplier). */
  block: number;
}

/** Per-layer facts surgery and the analytic counter need. */
export interface LayerPlan {
  name: string;
  className: string;
  layer: tf.layers.Layer;
  /** Flattened tensor ids feeding / produced by the layer's first application. */
  input: number;
  output: number;
  weights: WeightPlan[];
  /** Config keys whose value is the output channel count ('filters' / 'units'). */
  sizeKey?: 'filters' | 'units';
}

export interface GraphInternals {
  graph: ModelGraph;
  /** Per flattened tensor: channel identity (atom index) at each position of the last axis. */
  layouts: Int32Array[];
  /** Per atom: its group index in `groups`. */
  atomGroup: Int32Array;
  /** Per atom: its channel index inside its group. */
  atomIndex: Int32Array;
  /** Per group: atom index of each channel. */
  groupAtoms: Int32Array[];
  layers: Map<string, LayerPlan>;
}

export interface DependencyGraph {
  groups: ChannelGroup[];
  /** The model the graph was built for. */
  model: tf.LayersModel;
  internals: GraphInternals;
}

export interface GraphOptions {
  /** Layer names whose groups are marked not prunable ('protected'). */
  protect?: string[];
}
