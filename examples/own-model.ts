// Contrastive-center loss in your own tfjs model: any network whose outputs are
// [features, logits] trains with a ctc loss in a plain tfjs loop. The loss gives the total
// (softmax + lambda * auxiliary term) inside the gradient closure; after the optimizer's step
// its centers move by their own rule.
//
//   npm run build && node dist/examples/own-model.js

import * as tf from '@tensorflow/tfjs';
import { createLoss, initBackend } from 'ctc';

export interface ExampleResult {
  /** The auxiliary (contrastive-center) term at the first and at the last step. */
  firstAux: number;
  lastAux: number;
  /** Mean distance of each learned center to the mean feature of its class, at the end. */
  centerToMean: number;
  /** The same at the start (random centers). */
  centerToMeanAtStart: number;
}

/** Three Gaussian blobs in 20 dimensions, 2-D features, `steps` SGD steps of batch 96. */
export async function trainOwnModel(steps = 200): Promise<ExampleResult> {
  await initBackend('cpu');
  const classes = 3;
  const y = tf.tensor1d(
    Array.from({ length: 96 }, (_, i) => i % classes),
    'int32',
  );
  const x = tf.tidy(() => tf.add(tf.randomNormal([96, 20], 0, 1, 'float32', 1), tf.mul(tf.oneHot(y, 20), 4)));

  // Your network: here a small MLP with a 2-D feature layer before the classifier (seeded
  // initialisers, so the example gives the same numbers every time).
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [20] });
  const hidden = tf.layers
    .dense({ units: 16, activation: 'relu', kernelInitializer: init(1) })
    .apply(input) as tf.SymbolicTensor;
  const features = tf.layers.dense({ units: 2, kernelInitializer: init(2) }).apply(hidden) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: classes, kernelInitializer: init(3) }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [features, logits] });

  const loss = createLoss('contrastive-center', { numClasses: classes, featureDim: 2, seed: 1, lambda: 1 });
  const optimizer = tf.train.momentum(0.05, 0.9);
  const centers = loss.centers as tf.Variable;
  const distanceToMeans = () =>
    tf.tidy(() => {
      const f = (model.predict(x) as tf.Tensor[])[0] as tf.Tensor2D;
      const oneHot = tf.oneHot(y, classes);
      const means = tf.div(tf.matMul(oneHot, f, true), tf.sum(oneHot, 0).expandDims(1));
      return tf.mean(tf.norm(tf.sub(means, centers), 'euclidean', 1)).dataSync()[0];
    });
  const centerToMeanAtStart = distanceToMeans();

  const auxes: number[] = [];
  for (let step = 0; step < steps; step++) {
    const kept: { features?: tf.Tensor2D; aux?: number } = {};
    optimizer.minimize(() => {
      const [f, z] = model.apply(x, { training: true }) as tf.Tensor2D[];
      kept.features = tf.keep(f);
      const terms = loss.compute(f, z, y);
      kept.aux = (terms.aux as tf.Scalar).dataSync()[0];
      return terms.total;
    });
    const batchFeatures = kept.features as tf.Tensor2D;
    loss.updateCenters(batchFeatures, y); // the loss's own center rule, after the network's step
    batchFeatures.dispose();
    auxes.push(kept.aux as number);
  }
  const result = {
    firstAux: auxes[0],
    lastAux: auxes[auxes.length - 1],
    centerToMean: distanceToMeans(),
    centerToMeanAtStart,
  };
  tf.dispose([x, y]);
  loss.dispose();
  model.dispose();
  optimizer.dispose();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await trainOwnModel();
  console.log(
    `contrastive-center term ${r.firstAux.toFixed(4)} -> ${r.lastAux.toFixed(4)}; ` +
      `centers to their class means ${r.centerToMeanAtStart.toFixed(3)} -> ${r.centerToMean.toFixed(3)}`,
  );
}
