import { register } from 'node:module';

register('./loadLog.mjs', import.meta.url);
