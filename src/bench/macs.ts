// Multiply-accumulates of one training step, counted from a model's layer shapes: each
// convolution and dense layer does its forward product, its weight gradient (the same count) and,
// unless it reads the model's input, its input gradient (the same count again). Element-wise work
// (batch norm, activations, pooling, the loss, the update) is memory-bound and not counted: the
// count is what a machine's multiply-add peak applies to.

import * as tf from '@tensorflow/tfjs';

export interface LayerMacs {
  layer: string;
  /** Forward multiply-accumulates per image. */
  forward: number;
  /** Forward + weight gradient + input gradient (where needed) per image. */
  training: number;
}

/** The layer's single output shape without the batch axis, e.g. [H, W, C]. */
function outputDims(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.slice(1).map((d) => d ?? 0);
}

/** True when every layer feeding `layer` is an input layer: no gradient flows further back. */
function readsModelInput(layer: tf.layers.Layer): boolean {
  const inbound = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
  return inbound.every((node) => node.inboundLayers.every((l) => l.getClassName() === 'InputLayer'));
}

/** Forward MACs per image of a convolution or dense layer (0 for any other layer). */
function forwardMacs(layer: tf.layers.Layer): number {
  // Conv2D and Dense keep their filter as `kernel` (weight names may carry suffixes such as
  // 'kernel_1' when several models share a process).
  const kernel = (layer as unknown as { kernel?: { shape: number[] } }).kernel;
  if (kernel === undefined) return 0;
  const k = kernel.shape;
  const out = outputDims(layer);
  switch (layer.getClassName()) {
    case 'Conv2D': {
      const [kh, kw, cin, cout] = k; // a [kh, kw, cin, cout] filter, output [H, W, cout]
      return out[0] * out[1] * cout * kh * kw * cin;
    }
    case 'Dense':
      return k[0] * k[1]; // a [in, out] kernel on a flat input
    default:
      return 0;
  }
}

/** MACs per image of each convolution and dense layer of `model`, in layer order. */
export function layerMacs(model: tf.LayersModel): LayerMacs[] {
  return model.layers.flatMap((layer) => {
    const forward = forwardMacs(layer);
    if (forward === 0) return [];
    return [{ layer: layer.name, forward, training: forward * (readsModelInput(layer) ? 2 : 3) }];
  });
}

/** Multiply-accumulates of one training step at `batch`, in units of 1e9. */
export function gmacPerStep(model: tf.LayersModel, batch: number): number {
  return (layerMacs(model).reduce((sum, l) => sum + l.training, 0) * batch) / 1e9;
}
