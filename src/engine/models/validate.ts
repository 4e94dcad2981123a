/**
 * Checks that a model fits a dataset before training/evaluating: input shape vs the dataset's
 * square RGB images, output units vs the class count. Hard mismatches throw a StudioError
 * ('shape-mismatch' / 'classes-mismatch'); softer issues come back as warning strings.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { getStudioMeta } from './metadata';

export interface DatasetShape {
  imageSize: number;
  classes: string[];
}

/** Returns warnings (possibly none); throws when the model cannot run on the dataset as is. */
export function validateForDataset(model: tf.LayersModel, ds: DatasetShape): string[] {
  const warnings: string[] = [];
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new StudioError(
      'shape-mismatch',
      `Model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; an image classifier needs exactly one of each.`,
    );
  }
  const inShape = model.inputs[0]!.shape;
  if (inShape.length !== 4) {
    throw new StudioError(
      'shape-mismatch',
      `Model '${model.name}' takes input of shape [${inShape.join(', ')}]; expected images [batch, height, width, 3].`,
    );
  }
  const [, h, w, c] = inShape;
  if (c !== 3) {
    throw new StudioError('shape-mismatch', `Model '${model.name}' expects ${c ?? '?'} input channels; the dataset has RGB images (3 channels).`);
  }
  if (h == null || w == null) {
    warnings.push(`Model '${model.name}' accepts any image size; it will be fed ${ds.imageSize}x${ds.imageSize}.`);
  } else if (h !== ds.imageSize || w !== ds.imageSize) {
    throw new StudioError(
      'shape-mismatch',
      `Model '${model.name}' expects ${h}x${w} images but the dataset has ${ds.imageSize}x${ds.imageSize} images.`,
      { modelSize: [h, w], datasetSize: ds.imageSize },
    );
  }
  const outShape = model.outputs[0]!.shape;
  const units = outShape[outShape.length - 1];
  if (outShape.length !== 2 || units == null) {
    throw new StudioError(
      'shape-mismatch',
      `Model '${model.name}' outputs shape [${outShape.join(', ')}]; expected [batch, classes].`,
    );
  }
  if (units !== ds.classes.length) {
    throw new StudioError(
      'classes-mismatch',
      `Model '${model.name}' has ${units} output classes but the dataset has ${ds.classes.length}. ` +
        'Use transfer learning to put a new classifier head on it.',
      { modelClasses: units, datasetClasses: ds.classes.length },
    );
  }
  const meta = getStudioMeta(model);
  if (meta.classes.length === units && !/^class_\d+$/.test(meta.classes[0] ?? '')) {
    const differing = meta.classes.filter((name, i) => name !== ds.classes[i]);
    if (differing.length > 0) {
      warnings.push(
        `Class names differ from the model's (${differing.length} of ${units}, e.g. model '${differing[0]}' vs dataset ` +
          `'${ds.classes[meta.classes.indexOf(differing[0]!)]}'); output i is taken as dataset class i.`,
      );
    }
  }
  return warnings;
}
