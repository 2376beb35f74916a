// The paper's reported test accuracies (Qi & Su, ICIP 2017, tables for MNIST and CIFAR-10), as
// restated in ../shared/docs/paper.md. These are the paper's numbers, shown beside ours; ours are
// never derived from them.

export interface PaperFigure {
  dataset: string;
  network: string;
  loss: string;
  accuracy: number; // percent
  note?: string;
}

export const PAPER_FIGURES: readonly PaperFigure[] = [
  { dataset: 'mnist', network: 'lenetspp', loss: 'softmax', accuracy: 98.8 },
  { dataset: 'mnist', network: 'lenetspp', loss: 'center', accuracy: 98.94 },
  { dataset: 'mnist', network: 'lenetspp', loss: 'contrastive-center', accuracy: 99.17 },
  { dataset: 'cifar10', network: 'resnet20', loss: 'softmax', accuracy: 91.25, note: "He et al.'s figure" },
  {
    dataset: 'cifar10',
    network: 'resnet20',
    loss: 'center',
    accuracy: 92.1,
    note: 'second decimal unreadable in our copy',
  },
  { dataset: 'cifar10', network: 'resnet20', loss: 'contrastive-center', accuracy: 92.45 },
];

export function paperFigure(dataset: string, network: string, loss: string): PaperFigure | undefined {
  return PAPER_FIGURES.find((f) => f.dataset === dataset && f.network === network && f.loss === loss);
}
