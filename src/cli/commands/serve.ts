import type { Command } from 'commander';
import { example, int } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve a built-in checkpoint over an OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions)')
    .argument('<checkpoint>', 'checkpoint folder')
    .option('--port <n>', 'port (0 picks a free one)', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--name <id>', 'model id clients send (default: the checkpoint path)');
  example(cmd, 'gradus serve demo/zoo/run-a --port 8000');
  cmd.action(async (ckpt: string, o: Record<string, string>) => {
    const { serveCheckpoint } = await import('../../tinylm/serve.js');
    const s = await serveCheckpoint(ckpt, { port: int(o.port, '--port'), host: o.host, name: o.name });
    process.stdout.write(`serving ${ckpt} at ${s.url} (Ctrl-C to stop)\n`);
    const stop = () => void s.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
