// The experiment config: a strict schema with typed defaults. Key names are stable (they appear
// in configs, logs and tables). Each key's description is its line in the config reference
// (config/reference.ts: `ctc train --help` and docs/experiments.md), with the models' options and the
// losses' settings from their own specs.

import { z } from 'zod';

const positiveInt = z.number().int().positive();
const finite = z.number().finite();

const schedule = z
  .discriminatedUnion('name', [
    z.object({ name: z.literal('constant') }).strict(),
    /** Caffe's "inv": lr * (1 + gamma * iter)^-power. */
    z
      .object({
        name: z.literal('inv'),
        gamma: finite.positive().default(1e-4),
        power: finite.positive().default(0.75),
      })
      .strict(),
    /** lr * gamma^(number of milestones passed), milestones in iterations. */
    z
      .object({
        name: z.literal('multistep'),
        milestones: z.array(positiveInt).min(1),
        gamma: finite.positive().default(0.1),
      })
      .strict(),
    /** lr * gamma^floor(iter / stepSize). */
    z.object({ name: z.literal('step'), stepSize: positiveInt, gamma: finite.positive().default(0.1) }).strict(),
  ])
  .describe(
    'learning-rate schedule: {name: constant} | {name: inv, gamma: 1e-4, power: 0.75} (Caffe) | {name: multistep, milestones: [..], gamma: 0.1} | {name: step, stepSize, gamma: 0.1}',
  );

export const configSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
      .default('experiment')
      .describe('run name, runs/<name>/seed-<seed>/: letters, digits, . _ -'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1)
      .describe('one seed for the data order, the initialisation and the centers'),
    dataset: z
      .object({
        name: z.string(), // described with the dataset registry's names (config/reference.ts)
        path: z
          .string()
          .min(1)
          .optional()
          .describe("folder with the dataset's files (default: the bundled or system copy, ctc data list)"),
        trainLimit: positiveInt.optional().describe('use the first N training images (default: all)'),
        testLimit: positiveInt.optional().describe('use the first N test images (default: all)'),
        validation: positiveInt
          .optional()
          .describe('hold N training images out (after trainLimit, drawn from the seed) as the validation split'),
        classes: z
          .array(z.number().int().min(0))
          .min(2)
          .optional()
          .describe(
            'train and test on these classes only, e.g. [0, 1, 2, 3, 4, 5, 6]; ctc verify --heldout uses the others',
          ),
        subtractMean: z
          .boolean()
          .default(false)
          .describe("subtract the training set's per-pixel mean (the CIFAR-10 configs)"),
        augment: z
          .object({
            pad: z
              .number()
              .int()
              .min(0)
              .max(16)
              .default(4)
              .describe('training-time augmentation: zero-pad, then a random crop'),
            flip: z.boolean().default(true).describe('training-time augmentation: random horizontal flips'),
          })
          .strict()
          .optional(),
      })
      .strict(),
    /** Model options other than `name` are checked by the model's own spec (src/models). */
    model: z.object({ name: z.string() }).catchall(z.unknown()),
    /** Loss settings other than `name` are checked by the loss's own spec (src/losses). */
    loss: z.object({ name: z.string() }).catchall(z.unknown()),
    train: z
      .object({
        batchSize: positiveInt.max(65536).default(128).describe('images per step'),
        epochs: positiveInt
          .max(100000)
          .optional()
          .describe('train this many epochs (exactly one of epochs and iterations; --set of one replaces the other)'),
        iterations: positiveInt.max(1e8).optional().describe('train this many steps'),
        lr: finite.positive().max(10).default(0.01).describe('learning rate (SGD)'),
        momentum: finite.min(0).lt(1).default(0.9).describe('SGD momentum'),
        weightDecay: finite
          .min(0)
          .max(1)
          .default(5e-4)
          .describe('L2 decay of conv and dense kernels only (not biases, batch norm, PReLU slopes, centers)'),
        schedule: schedule.default({ name: 'constant' }),
        onNan: z
          .enum(['stop', 'lower-lr'])
          .default('stop')
          .describe(
            'a NaN/Inf loss or gradient: stop (the last good checkpoint stays), or skip the step and halve the lr',
          ),
      })
      .strict()
      .default({}),
    eval: z
      .object({
        every: positiveInt.default(1).describe('evaluate on the test set every N epochs (and at the end)'),
        batchSize: positiveInt.max(65536).default(500).describe('images per evaluation batch'),
        frames: z
          .boolean()
          .default(false)
          .describe('save the test features at each evaluation (frames/) for ctc plot --animate'),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ScheduleConfig = z.infer<typeof schedule>;
