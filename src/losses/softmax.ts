// Softmax loss, the baseline in every table of Qi & Su (ICIP 2017):
//   L_s = -1/m sum_i log( exp(z_{i,y_i}) / sum_j exp(z_{i,j}) ),  z = the network's logits.
// No centers, no auxiliary term.

import { softmaxCrossEntropy } from './functions.js';
import { defineLoss } from './types.js';

export const softmax = defineLoss({
  settings: {},
  create: () => ({
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
  }),
});
