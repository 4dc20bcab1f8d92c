#!/usr/bin/env node
// Entry of the `dualchat` command: runs the TypeScript sources through tsx, so a fresh clone
// works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
