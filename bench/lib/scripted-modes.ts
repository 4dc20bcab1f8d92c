// The ways a benchmark's scripted client chats (bench/lib/scripted-client.ts), in a module of their
// own so that a suite can name them without loading the client and the product code it runs.
export const SCRIPTED_MODES = ['forwarder', 'dualchat-tcp', 'dualchat-udp', 'irc'] as const;
export type ScriptedMode = (typeof SCRIPTED_MODES)[number];
