// Module hooks that append the URL of every module the process loads, one per line, to $GRADUS_LOAD_LOG.
// Registered by traceLoads.mjs (node --import); api.test.ts uses them to see what `import 'gradus'` loads.
import fs from 'node:fs';

export async function load(url, context, next) {
  if (process.env.GRADUS_LOAD_LOG) fs.appendFileSync(process.env.GRADUS_LOAD_LOG, `${url}\n`);
  return next(url, context);
}
