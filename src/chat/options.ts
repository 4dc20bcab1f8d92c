// Turning a partial, possibly hand-written set of hub options into a complete, valid one.

import {
  DEFAULT_HUB_OPTIONS,
  MAX_TEXT_LENGTH_MAX,
  MAX_TEXT_LENGTH_MIN,
  RATE_BURST_MAX,
  RATE_BURST_MIN,
  RATE_LIMIT_MAX,
  ROOM_CAPACITY_MAX,
  ROOM_CAPACITY_MIN,
  type HubOptions,
} from './limits.ts';
import { MAX_LIST_REPLY_BYTES, MIN_LIST_REPLY_BYTES } from '../commands/list-pages.ts';
import { checkRoomName } from './names.ts';

export type HubOptionsResult = { ok: true; options: HubOptions } | { ok: false; message: string };

/**
 * Fill in defaults and check every field. Never throws: a bad value comes back as a message naming
 * the option, its value and what is allowed. The default room comes back in canonical (lower) case.
 */
export function resolveHubOptions(partial: Partial<HubOptions> = {}): HubOptionsResult {
  const roomCapacity = partial.roomCapacity ?? DEFAULT_HUB_OPTIONS.roomCapacity;
  const maxTextLength = partial.maxTextLength ?? DEFAULT_HUB_OPTIONS.maxTextLength;
  const rawRoom = partial.defaultRoom ?? DEFAULT_HUB_OPTIONS.defaultRoom;
  const rateLimit = partial.rateLimit ?? DEFAULT_HUB_OPTIONS.rateLimit;
  const rateBurst = partial.rateBurst ?? DEFAULT_HUB_OPTIONS.rateBurst;
  const listReplyBytes = partial.listReplyBytes ?? DEFAULT_HUB_OPTIONS.listReplyBytes;

  const capacityError = checkInteger('roomCapacity', roomCapacity, ROOM_CAPACITY_MIN, ROOM_CAPACITY_MAX);
  if (capacityError !== undefined) return { ok: false, message: capacityError };
  const textError = checkInteger('maxTextLength', maxTextLength, MAX_TEXT_LENGTH_MIN, MAX_TEXT_LENGTH_MAX);
  if (textError !== undefined) return { ok: false, message: textError };
  if (typeof rateLimit !== 'number' || !Number.isFinite(rateLimit) || rateLimit < 0 || rateLimit > RATE_LIMIT_MAX) {
    return { ok: false, message: `rateLimit must be a number from 0 (off) to ${RATE_LIMIT_MAX}, got ${String(rateLimit)}` };
  }
  const burstError = checkInteger('rateBurst', rateBurst, RATE_BURST_MIN, RATE_BURST_MAX);
  if (burstError !== undefined) return { ok: false, message: burstError };
  const listError = checkInteger('listReplyBytes', listReplyBytes, MIN_LIST_REPLY_BYTES, MAX_LIST_REPLY_BYTES);
  if (listError !== undefined) return { ok: false, message: listError };
  if (typeof rawRoom !== 'string') return { ok: false, message: 'defaultRoom must be a string' };
  const room = checkRoomName(rawRoom);
  if (!room.ok) return { ok: false, message: `defaultRoom: ${room.message}` };

  return { ok: true, options: { roomCapacity, maxTextLength, defaultRoom: room.name, rateLimit, rateBurst, listReplyBytes } };
}

function checkInteger(option: string, value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `${option} must be a whole number from ${min} to ${max}, got ${String(value)}`;
  }
  return undefined;
}
