// Seeded initialisers: every layer draws its own seed from one Rng, so one config seed fixes
// the whole initialisation on every backend.

import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';

type Initializer = ReturnType<typeof tf.initializers.heNormal>;

export class SeededInit {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Caffe's "xavier" filler (the LeNet and center-loss prototxts): uniform(±sqrt(3 / fanIn)). */
  caffeXavier(): Initializer {
    return tf.initializers.leCunUniform({ seed: this.rng.seed() });
  }

  /** He et al. 2016: normal with variance 2 / fanIn (tfjs truncates at 2 std). */
  he(): Initializer {
    return tf.initializers.heNormal({ seed: this.rng.seed() });
  }

  glorot(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.rng.seed() });
  }
}
