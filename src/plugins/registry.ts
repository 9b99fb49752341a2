/**
 * How a kind of learner or evaluator joins the study: its `kind`, the zod schema of its config block (with
 * `kind` as a literal) and its constructor. A role (learner, evaluator) gathers its kinds into one registry, which
 * gives the study config its schema for that block and builds the plugin a config names.
 */
import { z } from 'zod';

/** A config block's schema: an object whose `kind` field is a literal. */
export type KindSchema<K extends string = string> = z.ZodObject<{ kind: z.ZodLiteral<K> } & z.ZodRawShape>;

export interface Plugin<S extends KindSchema, T> {
  kind: z.output<S>['kind'];
  schema: S;
  create(config: z.output<S>): T;
}

/** A plugin, with its config type checked against its schema. */
export function definePlugin<S extends KindSchema, T>(schema: S, create: (config: z.output<S>) => T): Plugin<S, T> {
  return { kind: schema.shape.kind.value as z.output<S>['kind'], schema, create };
}

type AnyPlugin = Plugin<KindSchema, unknown>;

export interface Registry<P extends readonly AnyPlugin[]> {
  /** the config block: one of the registered kinds, told apart by `kind` */
  schema: z.ZodType<z.output<P[number]['schema']>, z.input<P[number]['schema']>>;
  kinds: Array<P[number]['kind']>;
  create(config: z.output<P[number]['schema']>): ReturnType<P[number]['create']>;
}

export function registry<const P extends readonly AnyPlugin[]>(plugins: P): Registry<P> {
  const byKind = new Map(plugins.map((p) => [p.kind as string, p]));
  if (byKind.size !== plugins.length) throw new Error(`two plugins share a kind among ${plugins.map((p) => p.kind).join(', ')}`);
  const schemas = plugins.map((p) => p.schema) as unknown as [KindSchema, ...KindSchema[]];
  return {
    schema: z.discriminatedUnion('kind', schemas) as unknown as Registry<P>['schema'],
    kinds: plugins.map((p) => p.kind),
    create: (config) => byKind.get((config as { kind: string }).kind)!.create(config) as ReturnType<P[number]['create']>,
  };
}
