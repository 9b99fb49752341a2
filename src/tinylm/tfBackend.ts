/**
 * TensorFlow.js on its WebAssembly backend, whose .wasm files ship inside the npm package (tfjs-node's native
 * build downloads at install time and cannot install offline). One thread: cells run as separate processes.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | undefined;

export function loadTf(): Promise<typeof tf> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    // tfjs prints a hint about tfjs-node on first use; it does not apply here
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      await tf.setBackend('wasm');
      await tf.ready();
    } finally {
      console.warn = warn;
    }
    return tf;
  })();
  return ready;
}

export type Tf = typeof tf;
