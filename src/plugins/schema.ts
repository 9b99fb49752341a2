/** Schema pieces the config blocks of several kinds share, declared once. */
import { z } from 'zod';

export const int = (min: number) => z.number().int().min(min);
/** a command as an argv array (never a shell line: item text must not reach a shell) */
export const argv = z.array(z.string()).min(1);
export const env = z.record(z.string(), z.string());
