--[[
  Proposes rooms for their ready check: claims every ticket of a room at once, or none
  (the same race as claim-room), and records the proposal (core/room-lifecycle.ts, phase
  'proposed'), with its deadline in the pool's set of pending proposals. One call proposes
  a batch of rooms of one pool (one hash slot), each room all or none on its own.

  KEYS[1]       the pool's epoch (keys.poolEpoch)
  KEYS          then per room, in order: its ticket hashes, then its proposal hash; last, the
                pool's pending proposals (sorted set, score = deadline ms)
  ARGV[1]       ttl in seconds for tickets and proposals
  ARGV[2]       the pool's epoch as the caller last read it
  ARGV[3 + 5k]  room k's id
  ARGV[4 + 5k]  room k's event JSON (kept to publish once the room is final)
  ARGV[5 + 5k]  room k's deadline, epoch ms
  ARGV[6 + 5k]  room k's seats: "playerId ticketId playerId ticketId ...", a party's ticket once per member
  ARGV[7 + 5k]  room k's ticket count (its KEYS are that many ticket hashes and its proposal hash)

  Returns: nil, proposing nothing, when the pool's epoch is not ARGV[2] (as claim-room.lua:
  the rooms the caller had in flight are claimed again first). Otherwise one table per room,
  in order: {} when proposed; otherwise the 1-based indexes (within the room) of its tickets
  no longer queued.
  A ticket hash that is missing (Redis restarted empty) counts as queued. A second run of
  the same proposal (the first call's answer was lost, and the matcher proposes the same room,
  same id, again) is admitted: a ticket already proposed in this very room counts as queued,
  and the proposal, still waiting for answers, keeps the answers it has and takes the new
  deadline (the room's `found` goes out only after a call that answered).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return false
end
local ttl = ARGV[1]
local pending = KEYS[#KEYS]
local results = {}
local base = 1
for arg = 3, #ARGV, 5 do
  local roomId = ARGV[arg]
  local count = tonumber(ARGV[arg + 4])
  local lost = {}
  for i = 1, count do
    local ticket = redis.call('HMGET', KEYS[base + i], 'state', 'room')
    local state = ticket[1]
    if state and state ~= 'queued' and not (state == 'proposed' and ticket[2] == roomId) then
      lost[#lost + 1] = i
    end
  end
  if #lost == 0 then
    for i = 1, count do
      redis.call('HSET', KEYS[base + i], 'state', 'proposed', 'room', roomId)
      redis.call('EXPIRE', KEYS[base + i], ttl)
    end
    local proposal = KEYS[base + count + 1]
    local before = redis.call('HMGET', proposal, 'phase', 'accepted')
    local accepted = before[1] == 'proposed' and before[2] or ''
    redis.call('DEL', proposal)
    redis.call('HSET', proposal, 'phase', 'proposed', 'json', ARGV[arg + 1], 'deadline', ARGV[arg + 2], 'seats', ARGV[arg + 3], 'accepted', accepted)
    redis.call('EXPIRE', proposal, ttl)
    redis.call('ZADD', pending, ARGV[arg + 2], roomId)
  end
  results[#results + 1] = lost
  base = base + count + 1
end
return results
