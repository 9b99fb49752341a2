/** The config's `executor` block: where cells run (here, or as Slurm jobs). Where and how many at once never change results. */
import { z } from 'zod';
import { int } from '../../plugins/schema.js';

// one line of a batch script: a newline would let a config value add commands
const line = z.string().regex(/^[^\n\r]*$/, 'must be one line');
const slurmSchema = z
  .object({
    kind: z.literal('slurm'),
    partition: line.optional(),
    account: line.optional(),
    qos: line.optional(),
    gpus: z.union([int(0), line]).optional(),
    cpus_per_task: int(1).optional(),
    mem: line.optional(),
    time: line.optional(),
    extra: z.array(line).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), line).default({}),
    setup: z.array(line).default([]),
    max_queued: int(1).default(20),
    poll_s: z.number().positive().default(1),
    retries: int(0).default(0),
  })
  .strict();
export type SlurmConfig = z.infer<typeof slurmSchema>;

export const executorSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('local') }).strict(), slurmSchema]).default({ kind: 'local' });
export type ExecutorConfig = z.output<typeof executorSchema>;
