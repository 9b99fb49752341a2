/** `gradus serve` started as a real process on a free loopback port (port 0), with its URL read from its first line. */
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './fixtures.js';

export interface ServeChild {
  url: string;
  child: ChildProcess;
  stop(): void;
}

export function startServe(ckpt: string, name: string): Promise<ServeChild> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/gradus.js'), 'serve', ckpt, '--port', '0', '--host', '127.0.0.1', '--name', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    child.stdout!.on('data', (c) => {
      buf += c;
      const m = /at (http:\/\/\S+)/.exec(buf);
      if (m) resolve({ url: m[1], child, stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`gradus serve exited ${code}: ${err}`)));
  });
}
