/**
 * Training files for external trainers, in the two layouts they read: chat messages (TRL's SFTTrainer,
 * axolotl's chat_template, LLaMA-Factory's sharegpt) and prompt/completion pairs. Item text goes in unchanged.
 */
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { StudyItem } from './contract.js';

export interface TrainFiles {
  chat: string;
  prompt: string;
}

export function writeTrainFiles(dir: string, items: StudyItem[]): TrainFiles {
  const chat = path.join(dir, 'train.chat.jsonl');
  const prompt = path.join(dir, 'train.prompt.jsonl');
  const lines = (f: (x: StudyItem) => object) => items.map((x) => JSON.stringify(f(x))).join('\n') + (items.length ? '\n' : '');
  writeFileAtomic(chat, lines((x) => ({ messages: [{ role: 'user', content: x.prompt }, { role: 'assistant', content: x.answer }], id: x.id, bin: x.bin })));
  writeFileAtomic(prompt, lines((x) => ({ prompt: x.prompt, completion: x.answer, id: x.id, bin: x.bin })));
  return { chat, prompt };
}

export function writeEvalItems(file: string, items: StudyItem[]): void {
  writeFileAtomic(file, items.map((x) => JSON.stringify({ ...x.fields, id: x.id, prompt: x.prompt, answer: x.answer, bin: x.bin })).join('\n') + (items.length ? '\n' : ''));
}
