// The refusal codes of the protocol, as data: what each one means (docs/protocol.md copies these).
import type { ErrorCode, LeaveReason } from './types.ts';

/** Every ErrorCode and its meaning. A Record, so adding a code to types.ts without a meaning here
 * is a compile error. */
export const ERROR_CODE_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  'bad-command': 'the line is not a command (it must start with <verb>)',
  'unknown-command': 'the verb is not one the server knows',
  'bad-argument': 'the verb is known but its arguments are missing, extra or malformed',
  'not-connected': 'the command needs a session: send <connect>NAME first',
  'already-connected': 'this connection already has a name',
  'bad-name': 'the user name breaks the naming rules',
  'name-taken': 'another user already has this name',
  'name-registered': 'the name is registered: connect with <connect>NAME PASSWORD',
  'bad-password': 'the password is wrong, or breaks the password rules',
  'bad-room': 'the room name breaks the naming rules',
  'room-full': 'the room has reached its member limit',
  'unknown-user': 'no user with that name is online',
  'unknown-file': 'no shared file with that name',
  'line-too-long': 'the line exceeds the maximum line length',
  'bad-encoding': 'the line is not valid UTF-8',
  'rate-limited': 'too many commands too quickly; slow down',
  'too-large': 'the file or message exceeds the size limit',
  refused: 'the server refuses this request',
  internal: 'the server failed; the request may be retried',
};

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERROR_CODE_MEANINGS, s);
}

/** Every LeaveReason and its meaning. */
export const LEAVE_REASON_MEANINGS: Readonly<Record<LeaveReason, string>> = {
  moved: 'went to another room',
  disconnect: 'disconnected',
  lost: 'connection lost',
};

export function isLeaveReason(s: string): s is LeaveReason {
  return Object.hasOwn(LEAVE_REASON_MEANINGS, s);
}
