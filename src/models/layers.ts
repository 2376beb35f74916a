// Layers that fuse what ResNet runs back to back: batch norm then ReLU, and batch norm, residual
// add, then ReLU (a basic block's tail). Their weights are the batch norm's, by the same names
// and in the same order, so checkpoints of the unfused network load into them. In training on
// wasm+onednn they run one native kernel each way (backend/native/batch-norm.ts); elsewhere, or
// with CTC_FAST_PATHS=0 (or a list without bn-relu), the same ops as the separate layers: batch
// norm, add, relu.

import * as tf from '@tensorflow/tfjs';
import { nativeBatchNormCall, type BatchNormLayer } from '../backend/native/batch-norm.js';
import { nativeFastPath } from '../backend/native/fast-paths.js';

type LayerClass = new (args: Record<string, unknown>) => tf.layers.Layer;
/** tf.layers' BatchNormalization class, which tfjs does not export. */
const BatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as LayerClass;

export interface BatchNormReLUArgs {
  name: string;
  axis?: number;
  momentum?: number;
  epsilon?: number;
  /** Inputs [x, residual]: relu(bn(x) + residual). */
  residual?: boolean;
}

/** relu(bn(x)), or relu(bn(x) + residual) with inputs [x, residual]. */
export class BatchNormReLU extends BatchNormalization {
  static readonly className = 'BatchNormReLU';
  private readonly residual: boolean;

  constructor(args: BatchNormReLUArgs) {
    const { residual, ...bn } = args;
    super(bn as Record<string, unknown>);
    this.residual = residual === true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    super.build(this.residual ? (inputShape as tf.Shape[])[0] : inputShape);
    // Batch norm declares one input; the residual form takes two.
    if (this.residual) this.inputSpec = null as unknown as tf.layers.Layer['inputSpec'];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return this.residual ? (inputShape as tf.Shape[])[0] : inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const [x, residual] = this.residual ? list : [list[0], undefined];
    const fused = nativeFastPath('bn-relu')
      ? nativeBatchNormCall(this as unknown as BatchNormLayer, x, kwargs, { relu: true, residual })
      : null;
    if (fused !== null) return fused;
    return tf.tidy(() => {
      const y = super.call(x, kwargs) as tf.Tensor;
      return tf.relu(residual === undefined ? y : tf.add(y, residual));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), residual: this.residual };
  }
}
tf.serialization.registerClass(BatchNormReLU as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
