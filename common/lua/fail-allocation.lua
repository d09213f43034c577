--[[
  Releases a room whose allocation failed for good: the Redis side of core/room-allocation.ts
  `fail`. Each ticket the room still holds counts one more failed allocation; the
  MAX-th ends it (state allocation_failed), before that it is queued again, its join time
  untouched. Decided once: a later call learns the decision.

  KEYS[1]     the room's allocation record
  KEYS[2]     the room key (the kept room event; a dissolved room has none)
  KEYS[3..n]  ticket hashes of the room (one pool, one hash slot), in the order of ARGV[6..]
  ARGV[1]     the caller's start number (from begin-allocation); another start's fail is stale
  ARGV[2]     reason (for operators)
  ARGV[3]     ttl in seconds
  ARGV[4]     failed allocations that end a ticket (MAX_ALLOCATION_FAILURES)
  ARGV[5]     room id
  ARGV[6..]   ticket ids

  Returns: {action, starts, leaseUntil, server, reason, requeued, ended}; action 'dissolved'
  (with the tickets requeued and ended, space-separated), 'announced' (another start got a
  server first) or 'stale' (another start holds the room now).
]]
local record = KEYS[1]
local f = redis.call('HMGET', record, 'phase', 'starts', 'leaseUntil', 'server', 'reason', 'requeued', 'ended')
local phase, starts, leaseUntil = f[1], tonumber(f[2]) or 0, tonumber(f[3]) or 0
if phase and phase ~= 'allocating' then
  return {phase, starts, leaseUntil, f[4] or '', f[5] or '', f[6] or '', f[7] or ''}
end
if phase and starts ~= tonumber(ARGV[1]) then
  return {'stale', starts, leaseUntil, '', '', '', ''}
end

local max, roomId = tonumber(ARGV[4]), ARGV[5]
local requeued, ended = {}, {}
for i = 3, #KEYS do
  local ticket = ARGV[i + 3]
  local state, room = unpack(redis.call('HMGET', KEYS[i], 'state', 'room'))
  if not state then
    -- Redis lost the ticket: the broker, not Redis, is the record of who waits.
    requeued[#requeued + 1] = ticket
  elseif (state == 'matched' and room == roomId) or state == 'queued' then
    -- Queued: a gateway wrote the ticket back after Redis lost it; it waits, so it goes back too.
    local failures = redis.call('HINCRBY', KEYS[i], 'allocationFailures', 1)
    redis.call('HDEL', KEYS[i], 'room')
    redis.call('EXPIRE', KEYS[i], ARGV[3])
    if failures >= max then
      redis.call('HSET', KEYS[i], 'state', 'allocation_failed')
      ended[#ended + 1] = ticket
    else
      redis.call('HSET', KEYS[i], 'state', 'queued')
      requeued[#requeued + 1] = ticket
    end
  end
end
local requeuedText, endedText = table.concat(requeued, ' '), table.concat(ended, ' ')
redis.call('HSET', record, 'phase', 'dissolved', 'reason', ARGV[2], 'requeued', requeuedText, 'ended', endedText, 'starts', starts)
redis.call('EXPIRE', record, ARGV[3])
redis.call('DEL', KEYS[2])
return {'dissolved', starts, leaseUntil, '', ARGV[2], requeuedText, endedText}
