import * as tf from '@tensorflow/tfjs';

// Node unit tests run on the pure-JS cpu backend unless a test selects another one.
await tf.setBackend('cpu');
await tf.ready();
