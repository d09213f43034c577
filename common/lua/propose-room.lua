--[[
  Proposes a room for its ready check: claims every ticket of the room at once, or none
  (the same race as claim-room), and records the proposal (core/room-lifecycle.ts, phase
  'proposed'), with its deadline in the pool's set of pending proposals.

  KEYS[1..n-2]  ticket hashes of the room (one pool, one hash slot)
  KEYS[n-1]     the proposal hash
  KEYS[n]       the pool's pending proposals (sorted set, score = deadline ms)
  ARGV[1]       room id
  ARGV[2]       room event JSON (kept to publish once the room is final)
  ARGV[3]       ttl in seconds for tickets and proposal
  ARGV[4]       deadline, epoch ms
  ARGV[5]       seats: "playerId ticketId playerId ticketId ...", a party's ticket once per member

  Returns: {} when proposed; otherwise the 1-based indexes of tickets no longer queued.
]]
local count = #KEYS - 2
local lost = {}
for i = 1, count do
  local state = redis.call('HGET', KEYS[i], 'state')
  if state and state ~= 'queued' then
    lost[#lost + 1] = i
  end
end
if #lost > 0 then
  return lost
end
for i = 1, count do
  redis.call('HSET', KEYS[i], 'state', 'proposed', 'room', ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
local proposal = KEYS[count + 1]
redis.call('DEL', proposal)
redis.call('HSET', proposal, 'phase', 'proposed', 'json', ARGV[2], 'deadline', ARGV[4], 'seats', ARGV[5], 'accepted', '')
redis.call('EXPIRE', proposal, ARGV[3])
redis.call('ZADD', KEYS[count + 2], ARGV[4], ARGV[1])
return {}
