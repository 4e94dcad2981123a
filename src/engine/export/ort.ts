/**
 * onnxruntime-web (wasm execution provider) as the studio's .onnx runtime: create an InferenceSession from the
 * exported bytes, run single images. Which build of the package to load and where its .wasm lives depends on the
 * environment, so the caller injects an `OrtLoader` (workers: src/api/worker/ort-loader.ts; Node tests:
 * test/helpers/ort-node.ts). Only types are imported here.
 */
import type * as Ort from 'onnxruntime-web';
import { StudioError } from '../errors';

export type OrtModule = typeof Ort;
/** Returns the onnxruntime-web module, configured (wasm paths, threads) for this environment. */
export type OrtLoader = () => Promise<OrtModule>;

let loading: Promise<OrtModule> | null = null;

export async function ensureOrt(loader: OrtLoader): Promise<OrtModule> {
  if (!loading) {
    loading = loader().catch((e: unknown) => {
      loading = null;
      throw new StudioError('backend-unavailable', `onnxruntime-web could not start here: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  return loading;
}

/** An .onnx file in an onnxruntime-web session (wasm EP), batch 1, one float32 input and output. */
export class OnnxRunner {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly inputShape: number[],
    /** 'nhwc' when the file's input is [1, H, W, 3]; 'nchw' for [1, 3, H, W]. */
    readonly layout: 'nhwc' | 'nchw',
  ) {}

  static async create(loader: OrtLoader, bytes: Uint8Array): Promise<OnnxRunner> {
    const ort = await ensureOrt(loader);
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes.slice(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new StudioError('internal', `onnxruntime-web refused the .onnx file: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      await session.release();
      throw new StudioError('internal', `onnxruntime-web sees ${session.inputNames.length} inputs and ${session.outputNames.length} outputs; expected one of each.`);
    }
    const meta = session.inputMetadata[0];
    const shape = meta && meta.isTensor ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [];
    if (shape.length !== 4) {
      await session.release();
      throw new StudioError('internal', `onnxruntime-web sees an input of shape [${shape.join(', ')}]; expected a 4-D image.`);
    }
    return new OnnxRunner(ort, session, shape, shape[3] === 3 ? 'nhwc' : 'nchw');
  }

  /** Runs one input laid out as `inputShape` and returns a copy of the output. */
  async run(input: Float32Array): Promise<Float32Array> {
    const t = new this.ort.Tensor('float32', input, this.inputShape);
    const outs = await this.session.run({ [this.session.inputNames[0]!]: t });
    const y = outs[this.session.outputNames[0]!]!;
    try {
      return Float32Array.from(y.data as Float32Array);
    } finally {
      y.dispose();
      t.dispose();
    }
  }

  /** Runs one raw 0–255 RGB NHWC image (transposed here when the file takes NCHW). */
  async runNhwc(pixels: Float32Array): Promise<Float32Array> {
    if (this.layout === 'nhwc') return this.run(pixels);
    const [, c, h, w] = this.inputShape as [number, number, number, number];
    const x = new Float32Array(pixels.length);
    for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let k = 0; k < c; k++) x[(k * h + y) * w + xx] = pixels[(y * w + xx) * c + k]!;
    return this.run(x);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
