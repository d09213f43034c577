--[[
  Gives a room back unallocated: an allocator stopping mid-request drops its lease, so the
  next one resumes the room at once (with the same Idempotency-Key) rather than when the
  lease would have lapsed. Only the start that holds the room may; a decided room is untouched.

  KEYS[1]  the room's allocation record
  ARGV[1]  the caller's start number

  Returns: 1 when the lease was dropped, 0 otherwise.
]]
local phase, starts = unpack(redis.call('HMGET', KEYS[1], 'phase', 'starts'))
if phase ~= 'allocating' or tonumber(starts) ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'leaseUntil', 0)
return 1
