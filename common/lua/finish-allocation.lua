--[[
  Records the server a room got: the Redis side of core/room-allocation.ts `finish`. The
  first decision stands; a room already announced keeps its first server, one already
  dissolved stays dissolved (its tickets are back in their pools).

  KEYS[1]  the room's allocation record
  KEYS[2]  the room key: the room event kept for late deliveries, now with `server`
  ARGV[1]  server JSON
  ARGV[2]  the room event JSON with `server`
  ARGV[3]  ttl in seconds

  Returns: {action, starts, leaseUntil, server, reason, requeued, ended}; action 'announced'
  with the server that stands, or 'dissolved'.
]]
local record = KEYS[1]
local f = redis.call('HMGET', record, 'phase', 'starts', 'leaseUntil', 'server', 'reason', 'requeued', 'ended')
local phase, starts, leaseUntil = f[1], tonumber(f[2]) or 0, tonumber(f[3]) or 0
if phase and phase ~= 'allocating' then
  return {phase, starts, leaseUntil, f[4] or '', f[5] or '', f[6] or '', f[7] or ''}
end
-- Allocating, or a record Redis lost: the server exists and the fleet knows the room id.
redis.call('HSET', record, 'phase', 'announced', 'server', ARGV[1])
redis.call('EXPIRE', record, ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return {'announced', starts, leaseUntil, ARGV[1], '', '', ''}
