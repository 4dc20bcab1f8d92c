// Whether the client colours its output: on a terminal, unless NO_COLOR is set (https://no-color.org);
// off when piped, unless FORCE_COLOR asks for it. Pure: the caller passes the stream's TTY flag and env.
import pc from 'picocolors';
import type { Colors } from './render.ts';

export function useColor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY && env.TERM !== 'dumb';
}

export function chooseColors(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Colors {
  return pc.createColors(useColor(isTTY, env));
}
