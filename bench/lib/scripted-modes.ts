// The ways a benchmark's scripted client chats (bench/lib/scripted-client.ts), in a module of their
// own so that a suite can name them without loading the client and the product code it runs.
export const SCRIPTED_MODES = ['forwarder', 'dualchat-tcp', 'dualchat-udp', 'dualchat-irc', 'irc'] as const;
export type ScriptedMode = (typeof SCRIPTED_MODES)[number];

/** The modes whose clients speak IRC: ngircd (`irc`) and dualchat's IRC door. */
export function speaksIrc(mode: ScriptedMode): boolean {
  return mode === 'irc' || mode === 'dualchat-irc';
}
