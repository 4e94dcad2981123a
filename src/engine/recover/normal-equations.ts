/**
 * Normal equations of a least-squares problem X W ≈ Z accumulated batch by batch on the active backend (float32):
 * G = XᵀX, B = XᵀZ, and per target column Σz² and Σz; read out in float64 for the solve (ridge.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';

export class NormalEquations {
  g: tf.Tensor2D | null = null;
  b: tf.Tensor2D | null = null;
  zz: tf.Tensor1D | null = null;
  zs: tf.Tensor1D | null = null;
  rows = 0;
  add(x: tf.Tensor2D, z: tf.Tensor2D): void {
    const next = tf.tidy(() => {
      const g = tf.matMul(x, x, true, false);
      const b = tf.matMul(x, z, true, false);
      const zz = tf.sum(tf.square(z), 0);
      const zs = tf.sum(z, 0);
      return this.g ? [tf.add(this.g, g), tf.add(this.b!, b), tf.add(this.zz!, zz), tf.add(this.zs!, zs)] : [g, b, zz, zs];
    });
    this.dispose();
    for (const t of next) tf.keep(t);
    [this.g, this.b] = next as [tf.Tensor2D, tf.Tensor2D];
    [, , this.zz, this.zs] = next as [tf.Tensor, tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    this.rows += x.shape[0];
  }
  async read(): Promise<{ g: Float64Array; b: Float64Array; zz: Float64Array; zs: Float64Array }> {
    if (!this.g) throw new StudioError('internal', 'No calibration samples reached the layer.');
    const [g, b, zz, zs] = await Promise.all([this.g, this.b!, this.zz!, this.zs!].map((t) => t.data() as Promise<Float32Array>));
    return { g: Float64Array.from(g!), b: Float64Array.from(b!), zz: Float64Array.from(zz!), zs: Float64Array.from(zs!) };
  }
  dispose(): void {
    for (const t of [this.g, this.b, this.zz, this.zs]) t?.dispose();
    this.g = this.b = this.zz = this.zs = null;
  }
}

