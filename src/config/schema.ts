// The experiment config: a strict schema with typed defaults. Key names are stable (they appear
// in configs, logs and tables): see the README's "Config schema" section, which mirrors this file.

import { z } from 'zod';

const positiveInt = z.number().int().positive();
const finite = z.number().finite();

const schedule = z.discriminatedUnion('name', [
  z.object({ name: z.literal('constant') }).strict(),
  /** Caffe's "inv": lr * (1 + gamma * iter)^-power. */
  z.object({ name: z.literal('inv'), gamma: finite.positive().default(1e-4), power: finite.positive().default(0.75) }).strict(),
  /** lr * gamma^(number of milestones passed), milestones in iterations. */
  z
    .object({ name: z.literal('multistep'), milestones: z.array(positiveInt).min(1), gamma: finite.positive().default(0.1) })
    .strict(),
  /** lr * gamma^floor(iter / stepSize). */
  z.object({ name: z.literal('step'), stepSize: positiveInt, gamma: finite.positive().default(0.1) }).strict(),
]);

export const configSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only').default('experiment'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    dataset: z
      .object({
        name: z.string(),
        path: z.string().min(1).optional(),
        trainLimit: positiveInt.optional(),
        testLimit: positiveInt.optional(),
        /** Hold this many training images out (after trainLimit, drawn from the seed) as the validation split. */
        validation: positiveInt.optional(),
        /** Train and test on these classes only (renumbered 0..K-1 in this order); ctc verify --heldout uses the others. */
        classes: z.array(z.number().int().min(0)).min(2).optional(),
        /** Subtract the per-pixel mean of the training set (ResNet-20 on CIFAR-10). */
        subtractMean: z.boolean().default(false),
        /** Training-time augmentation: zero-pad `pad` pixels then a random crop, random horizontal flips. */
        augment: z
          .object({ pad: z.number().int().min(0).max(16).default(4), flip: z.boolean().default(true) })
          .strict()
          .optional(),
      })
      .strict(),
    /** Model options other than `name` are checked by the model's own spec (src/models). */
    model: z.object({ name: z.string() }).catchall(z.unknown()),
    loss: z
      .object({
        name: z.string(),
        lambda: finite.min(0).optional(),
        alpha: finite.positive().optional(),
        delta: finite.positive().optional(),
        reduction: z.enum(['mean', 'sum']).optional(),
        centerUpdate: z.enum(['normalized', 'sgd', 'autodiff']).optional(),
      })
      .strict(),
    train: z
      .object({
        batchSize: positiveInt.max(65536).default(128),
        epochs: positiveInt.max(100000).optional(),
        iterations: positiveInt.max(1e8).optional(),
        lr: finite.positive().max(10).default(0.01),
        momentum: finite.min(0).lt(1).default(0.9),
        weightDecay: finite.min(0).max(1).default(5e-4),
        schedule: schedule.default({ name: 'constant' }),
        /** A NaN/Inf loss or gradient: stop (keeping the last good checkpoint), or halve the lr and go on. */
        onNan: z.enum(['stop', 'lower-lr']).default('stop'),
      })
      .strict()
      .default({}),
    eval: z
      .object({
        /** Evaluate on the test set every this many epochs (and always at the end). */
        every: positiveInt.default(1),
        batchSize: positiveInt.max(65536).default(500),
        /** Save the test features at each evaluation (runs/<..>/frames/) for `ctc plot --animate`. */
        frames: z.boolean().default(false),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ScheduleConfig = z.infer<typeof schedule>;
