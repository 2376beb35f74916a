// SGD with momentum and per-group weight decay: v <- momentum * v + (g + wd * w); w <- w - lr * v.
// Weight decay applies to convolution and dense kernels only, never to biases, batch-norm
// parameters, PReLU slopes or centers (the paper's LeNets++ recipe: "not on biases or centers").
// The state (one velocity per variable) is explicit so checkpoints can store and restore it.
// Where the backend has ctc's fused update kernel (wasm), each variable's update is that one
// kernel, with the same float32 results.

import * as tf from '@tensorflow/tfjs';
import { SGD_KERNEL } from '../backend/wasm/sgd.js';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

/** Whether a variable gets weight decay: layer kernels (conv, dense), identified by name. */
export function decays(variable: tf.Variable): boolean {
  return /(^|\/)kernel(_\d+)?$/.test(variable.name);
}

export class Sgd {
  private readonly velocities = new Map<tf.Variable, tf.Variable>();

  constructor(
    readonly variables: tf.Variable[],
    private readonly options: SgdOptions,
  ) {
    for (const v of variables)
      this.velocities.set(
        v,
        tf.tidy(() => tf.variable(tf.zerosLike(v), false)),
      );
  }

  /** One update with learning rate `lr`, from gradients keyed by variable name. */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay } = this.options;
    const fused = tf.getKernel(SGD_KERNEL, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const variable of this.variables) {
        const grad = grads[variable.name];
        if (!grad) continue;
        const velocity = this.velocities.get(variable) as tf.Variable;
        if (fused) {
          const attrs = { lr, momentum, weightDecay: decays(variable) ? weightDecay : 0 };
          const [w, v] = tf
            .engine()
            .runKernel(
              SGD_KERNEL,
              { variable, velocity, gradient: grad },
              attrs as unknown as tf.NamedAttrMap,
            ) as tf.Tensor[];
          velocity.assign(v);
          variable.assign(w);
          continue;
        }
        const decayed = weightDecay > 0 && decays(variable) ? grad.add(variable.mul(weightDecay)) : grad;
        const next = momentum > 0 ? velocity.mul(momentum).add(decayed) : decayed;
        velocity.assign(next);
        variable.assign(variable.sub(next.mul(lr)));
      }
    });
  }

  /** Velocities in variable order, for checkpoints. */
  getState(): tf.Tensor[] {
    return this.variables.map((v) => this.velocities.get(v) as tf.Variable);
  }

  setState(values: tf.Tensor[]): void {
    this.variables.forEach((v, i) => (this.velocities.get(v) as tf.Variable).assign(values[i]));
  }

  dispose(): void {
    for (const v of this.velocities.values()) v.dispose();
    this.velocities.clear();
  }
}
