// The cluster's writes to Redis, each one Lua script: Redis runs a script whole before any other command,
// so a claim, a seat, a node's reaping is atomic across nodes, and the script publishes its change on the
// cluster's channel in the same step (every node hears it after the change is made, in the order made).
// Every script takes ARGV[1] = the key prefix, ARGV[2] = the channel; the rest as each says. The keys
// (docs/cluster.md, "Keys and channel"):
//   P..'hb:'..node      the node's heartbeat: its start token, with a TTL renewed every beat
//   P..'nodes'          set of the nodes that registered (reaped when their heartbeat is gone)
//   P..'names'          hash: name key → {"name","node","session","room"} (room: the listed one)
//   P..'member:'..room  set of the name keys in the room
//   P..'rooms'          set of the rooms with a member
//   P..'in:'..key       set of the rooms a name key is in
import { createHash } from 'node:crypto';

/** Helpers every script starts with. */
const COMMON = `
local P = ARGV[1]
local CH = ARGV[2]
local function alive(node) return redis.call('EXISTS', P .. 'hb:' .. node) == 1 end
local function enter(room, key)
  redis.call('SADD', P .. 'member:' .. room, key)
  redis.call('SADD', P .. 'rooms', room)
  redis.call('SADD', P .. 'in:' .. key, room)
end
local function leave(room, key)
  local members = P .. 'member:' .. room
  redis.call('SREM', members, key)
  if redis.call('SCARD', members) == 0 then redis.call('SREM', P .. 'rooms', room) end
  redis.call('SREM', P .. 'in:' .. key, room)
end
local function drop_rooms(key)
  for _, room in ipairs(redis.call('SMEMBERS', P .. 'in:' .. key)) do leave(room, key) end
  redis.call('DEL', P .. 'in:' .. key)
end
local function reap(node)
  local all = redis.call('HGETALL', P .. 'names')
  local n = 0
  for i = 1, #all, 2 do
    if cjson.decode(all[i + 1]).node == node then
      drop_rooms(all[i])
      redis.call('HDEL', P .. 'names', all[i])
      n = n + 1
    end
  end
  return n
end
local function gone(from, node)
  redis.call('PUBLISH', CH, cjson.encode({t = 'presence', event = {op = 'gone', from = from, node = node}}))
end
local function holds(key, node, session)
  local cur = redis.call('HGET', P .. 'names', key)
  if not cur then return nil end
  local h = cjson.decode(cur)
  if h.node ~= node or h.session ~= tonumber(session) then return nil end
  return h
end
`;

export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, body: string): Script {
  const lua = COMMON + body;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export const SCRIPTS = {
  /** ARGV 3 node, 4 token, 5 ttl ms → 0 when the node id is alive elsewhere, 1 when registered (leftovers of an earlier run with this id reaped; `hello` published). */
  register: script(
    'register',
    `
local node = ARGV[3]
if alive(node) then return 0 end
if reap(node) > 0 then gone(node, node) end
redis.call('SET', P .. 'hb:' .. node, ARGV[4], 'PX', ARGV[5])
redis.call('SADD', P .. 'nodes', node)
redis.call('PUBLISH', CH, cjson.encode({t = 'presence', event = {op = 'hello', from = node}}))
return 1`,
  ),
  /** ARGV 3 node, 4 token, 5 ttl ms → 1 renewed, 0 set again after it had expired (others may have reaped the node), -1 held by another token. */
  beat: script(
    'beat',
    `
local cur = redis.call('GET', P .. 'hb:' .. ARGV[3])
if cur and cur ~= ARGV[4] then return -1 end
redis.call('SET', P .. 'hb:' .. ARGV[3], ARGV[4], 'PX', ARGV[5])
redis.call('SADD', P .. 'nodes', ARGV[3])
if cur then return 1 end
return 0`,
  ),
  /** ARGV 3 this node → { the nodes found dead and reaped now (each announced as gone), the live nodes }. */
  reapDead: script(
    'reapDead',
    `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  if not alive(node) then
    reap(node)
    redis.call('SREM', P .. 'nodes', node)
    gone(ARGV[3], node)
    table.insert(out, node)
  end
end
return {out, redis.call('SMEMBERS', P .. 'nodes')}`,
  ),
  /** ARGV 3 key, 4 holder JSON, 5 event → 1 claimed, 0 held by a live node. A holder whose node is dead loses it. */
  claim: script(
    'claim',
    `
local key = ARGV[3]
local cur = redis.call('HGET', P .. 'names', key)
if cur then
  if alive(cjson.decode(cur).node) then return 0 end
  drop_rooms(key)
end
redis.call('HSET', P .. 'names', key, ARGV[4])
redis.call('PUBLISH', CH, ARGV[5])
return 1`,
  ),
  /** ARGV 3 key, 4 node, 5 session, 6 event → 1 released, 0 not held by that session. */
  release: script(
    'release',
    `
if not holds(ARGV[3], ARGV[4], ARGV[5]) then return 0 end
drop_rooms(ARGV[3])
redis.call('HDEL', P .. 'names', ARGV[3])
redis.call('PUBLISH', CH, ARGV[6])
return 1`,
  ),
  /** ARGV 3 room, 4 key, 5 event. */
  enter: script(
    'enter',
    `
enter(ARGV[3], ARGV[4])
redis.call('PUBLISH', CH, ARGV[5])
return 1`,
  ),
  /** ARGV 3 room, 4 key, 5 event. */
  leave: script(
    'leave',
    `
leave(ARGV[3], ARGV[4])
redis.call('PUBLISH', CH, ARGV[5])
return 1`,
  ),
  /** ARGV 3 room, 4 key, 5 capacity, 6 event → -1 seated (or a member already), else the room's size (full). */
  seat: script(
    'seat',
    `
local members = P .. 'member:' .. ARGV[3]
if redis.call('SISMEMBER', members, ARGV[4]) == 1 then return -1 end
local size = redis.call('SCARD', members)
if size >= tonumber(ARGV[5]) then return size end
enter(ARGV[3], ARGV[4])
redis.call('PUBLISH', CH, ARGV[6])
return -1`,
  ),
  /** ARGV 3 key, 4 node, 5 session, 6 room, 7 event. */
  listed: script(
    'listed',
    `
local h = holds(ARGV[3], ARGV[4], ARGV[5])
if not h then return 0 end
h.room = ARGV[6]
redis.call('HSET', P .. 'names', ARGV[3], cjson.encode(h))
redis.call('PUBLISH', CH, ARGV[7])
return 1`,
  ),
  /**
   * ARGV 3 node, 4 its users as JSON ([{key,name,session,room,rooms}]) → the keys another live node holds
   * now (left out). Whatever Redis held for the node is replaced by what it states.
   */
  sync: script(
    'sync',
    `
local node = ARGV[3]
reap(node)
local conflicts = {}
for _, u in ipairs(cjson.decode(ARGV[4])) do
  local cur = redis.call('HGET', P .. 'names', u.key)
  if cur and alive(cjson.decode(cur).node) then
    table.insert(conflicts, u.key)
  else
    if cur then drop_rooms(u.key) end
    redis.call('HSET', P .. 'names', u.key, cjson.encode({name = u.name, node = node, session = u.session, room = u.room}))
    for _, room in ipairs(u.rooms) do enter(room, u.key) end
  end
end
return conflicts`,
  ),
  /** → { names hash as a flat list, rooms as room, count, key × count, … }: the whole presence at one instant. */
  snapshot: script(
    'snapshot',
    `
local rooms = {}
for _, room in ipairs(redis.call('SMEMBERS', P .. 'rooms')) do
  local keys = redis.call('SMEMBERS', P .. 'member:' .. room)
  table.insert(rooms, room)
  table.insert(rooms, #keys)
  for _, key in ipairs(keys) do table.insert(rooms, key) end
end
return {redis.call('HGETALL', P .. 'names'), rooms}`,
  ),
  /** ARGV 3 node: a node that stops frees its names and its id at once (announced as gone). */
  unregister: script(
    'unregister',
    `
reap(ARGV[3])
gone(ARGV[3], ARGV[3])
redis.call('DEL', P .. 'hb:' .. ARGV[3])
redis.call('SREM', P .. 'nodes', ARGV[3])
return 1`,
  ),
} as const;
