--[[
  Begins (or resumes) a room's allocation: the Redis side of core/room-allocation.ts `begin`.
  Two copies of a room, or a redelivery after a crash, meet here; only one start holds the
  room at a time, and a decided room is never allocated again.

  KEYS[1]  the room's allocation record (hash, the pool's hash slot)
  ARGV[1]  holder: the allocator asking (for operators reading the record)
  ARGV[2]  now, epoch ms
  ARGV[3]  lease in ms: longer than one whole allocation (budget and a margin)
  ARGV[4]  ttl in seconds of the record

  Returns: {action, starts, leaseUntil, server, reason, requeued, ended}; action 'allocate'
  (this caller asks the fleet, start number `starts`), 'busy' (another start holds the room
  until leaseUntil), or 'announced' / 'dissolved' (decided: repeat the announcement only).
]]
local record = KEYS[1]
local now, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
local f = redis.call('HMGET', record, 'phase', 'starts', 'leaseUntil', 'server', 'reason', 'requeued', 'ended')
local phase, starts, leaseUntil = f[1], tonumber(f[2]) or 0, tonumber(f[3]) or 0

if phase and phase ~= 'allocating' then
  return {phase, starts, leaseUntil, f[4] or '', f[5] or '', f[6] or '', f[7] or ''}
end
if phase and leaseUntil > now then
  return {'busy', starts, leaseUntil, '', '', '', ''}
end
starts = starts + 1
leaseUntil = now + lease
redis.call('HSET', record, 'phase', 'allocating', 'starts', starts, 'leaseUntil', leaseUntil, 'holder', ARGV[1])
redis.call('EXPIRE', record, ARGV[4])
return {'allocate', starts, leaseUntil, '', '', '', ''}
