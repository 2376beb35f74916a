// Softmax loss, the baseline in every table of Qi & Su (ICIP 2017):
//   L_s = -1/m sum_i log( exp(z_{i,y_i}) / sum_j exp(z_{i,j}) ),  z = the network's logits.
// No centers, no auxiliary term.

import { softmaxCrossEntropy } from './functions.js';
import { checkDims, type LossFactory } from './types.js';

export const createSoftmaxLoss: LossFactory = (opts) => {
  checkDims(opts);
  return {
    name: 'softmax',
    hyper: {},
    centers: null,
    trainableVariables: () => [],
    compute(_features, logits, labels) {
      const softmax = softmaxCrossEntropy(logits, labels);
      return { total: softmax, softmax, aux: null };
    },
    updateCenters() {},
    dispose() {},
  };
};
