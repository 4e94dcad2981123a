import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/**
 * Runs an engine call and asserts that it left no tensor behind.
 * Returned tensors count as leaks unless the caller disposes them inside `fn`.
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  expect(after, `engine call leaked ${after - before} tensor(s)`).toBe(before);
  return result;
}
