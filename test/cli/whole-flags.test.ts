// The server's whole-number flags read alike whatever is wrong with the value: "FLAG must be a whole
// number from MIN to MAX" (or "≥ MIN" without an upper bound), never another wording for one flag.
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { serverCommand } from '../../src/cli/server.ts';

/** commander's error line for `args` given to `dualchat server` (parsing stops before the server runs). */
function refusal(args: string[]): string {
  let written = '';
  const command = serverCommand()
    .exitOverride()
    .configureOutput({ writeErr: (text) => (written += text), writeOut: () => {} });
  try {
    command.parse(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return written.trim();
  }
  throw new Error(`${args.join(' ')} was accepted`);
}

describe('server whole-number flags: one wording', () => {
  it.each([
    ['--name-hold', ['-1', 'soon', '1.5', '3601'], 'from 0 to 3600'],
    ['--max-connections', ['0', 'many', '99999999'], 'from 1 to '],
    ['--max-conn-per-ip', ['0', 'x'], 'from 1 to '],
    ['--room-capacity', ['0', 'big'], 'from 1 to '],
    ['--upload-slots', ['0', 'x'], '≥ 1'],
  ])('%s', (flag, bad, range) => {
    for (const value of bad) {
      expect(refusal([flag, value])).toMatch(new RegExp(`${flag} must be a whole number ${range}.*, got "${value.replace('.', '\\.')}"$`));
    }
  });
});
