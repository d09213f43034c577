--[[
  Claims every ticket of a room at once, or none: the single point where a room wins
  its tickets against a racing leave, a timeout or another matcher. One call claims a
  batch of rooms of one pool (one hash slot), each room all or none on its own.

  KEYS[1]       the pool's epoch (keys.poolEpoch)
  KEYS          then per room, in order: its ticket hashes, its room key (where the room
                event is kept for late deliveries), its allocation record; every key of one
                pool, one hash slot
  ARGV[1]       ttl in seconds for tickets and rooms
  ARGV[2]       the pool's epoch as the caller last read it
  ARGV[3 + 3k]  room k's id
  ARGV[4 + 3k]  room k's event JSON
  ARGV[5 + 3k]  room k's ticket count (its KEYS are that many ticket hashes, its room key
                and its allocation record)

  Returns: nil, claiming nothing, when the pool's epoch is not ARGV[2]: Redis lost the pool's
  data since the caller last looked, and the rooms it had in flight must be claimed again
  before any new room may take a ticket the gateways wrote back as queued. Otherwise one table
  per room, in order: {} when claimed; otherwise the 1-based indexes (within the room) of its
  tickets no longer queued.
  A ticket hash that is missing (Redis restarted empty) counts as queued: the broker,
  not Redis, is the record of who waits. A ticket already matched to this very room
  counts as claimed, so the matcher can claim a room again after Redis lost it. A room the
  allocator released (its allocation record dissolved) is never claimed again: every ticket
  counts as lost, since the allocator sent them back to their pool itself.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return false
end
local ttl = ARGV[1]
local results = {}
local base = 1
for arg = 3, #ARGV, 3 do
  local roomId = ARGV[arg]
  local count = tonumber(ARGV[arg + 2])
  local lost = {}
  local released = redis.call('HGET', KEYS[base + count + 2], 'phase') == 'dissolved'
  for i = 1, count do
    local ticket = redis.call('HMGET', KEYS[base + i], 'state', 'room')
    local state = ticket[1]
    if released or (state and state ~= 'queued' and not (state == 'matched' and ticket[2] == roomId)) then
      lost[#lost + 1] = i
    end
  end
  if #lost == 0 then
    for i = 1, count do
      redis.call('HSET', KEYS[base + i], 'state', 'matched', 'room', roomId)
      redis.call('EXPIRE', KEYS[base + i], ttl)
    end
    redis.call('SET', KEYS[base + count + 1], ARGV[arg + 1], 'EX', ttl)
  end
  results[#results + 1] = lost
  base = base + count + 2
end
return results
