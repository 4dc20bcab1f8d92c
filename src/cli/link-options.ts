// The link-model flags shared by `dualchat simulate` and `dualchat proxy` (same words, same parsers).
import { Option } from 'commander';
import { LINK_PROPERTY_INFO } from '../sim/link-properties.ts';

const LINK_FLAGS: ReadonlyArray<[keyof typeof LINK_PROPERTY_INFO, string]> = [
  ['loss', 'p'],
  ['burst', 'n'],
  ['delay', 'time'],
  ['jitter', 'time'],
  ['dup', 'p'],
  ['reorder', 'p'],
  ['corrupt', 'p'],
  ['rate', 'rate'],
  ['queue', 'bytes'],
];

/** One commander option per link property, with its help text from LINK_PROPERTY_INFO. */
export function linkOptions(): Option[] {
  return LINK_FLAGS.map(([name, arg]) => new Option(`--${name} <${arg}>`, LINK_PROPERTY_INFO[name].help));
}
