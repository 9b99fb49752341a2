import fs from 'node:fs';
import path from 'node:path';

/** Write through a temporary file and rename, so a killed run never leaves half a file behind. */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
