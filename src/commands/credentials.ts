// `<connect>NAME PASSWORD`: a registered name signs in with its password after one space. The grammar
// keeps the connect text whole (the Python family's names are the whole text, and a name with a space
// must still be refused as a bad name); the hub splits it with this when the first word is a registered
// name, as it resolves the family's other own-name forms.
import type { Command } from './types.ts';

/** The connect text split at its first run of white space; undefined when there is no second word. */
export function splitCredentials(text: string): { name: string; password: string } | undefined {
  const trimmed = text.trim();
  const gap = /\s+/.exec(trimmed);
  if (gap === null) return undefined;
  const password = trimmed.slice(gap.index + gap[0].length);
  return password === '' ? undefined : { name: trimmed.slice(0, gap.index), password };
}

/** The connect command for `name`, signing in with `password` when one is given. */
export function connectCommand(name: string, password?: string): Command {
  return { kind: 'connect', name: password === undefined ? name : `${name} ${password}` };
}
