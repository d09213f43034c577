--[[
  Reads what the notifier needs of rooms before routing them: whether each was routed already
  (its `notified` key) and the state and room of each of its tickets (to tell a matcher's claim
  from a forged room, common/room-claims.ts). A notifier's rooms of one turn and pool in one call
  (common/turn-batch.ts); every key shares the pool's hash slot. Reads only.

  KEYS     for each room in order: its `notified` key, then its ticket hashes
  ARGV[i]  the number of tickets of room i

  Returns, for each room in order, {notified (1 or 0), state, room, state, room, ...}, one pair a
  ticket, false where Redis holds no such field or hash.
]]
local rooms = {}
local at = 1
for i, count in ipairs(ARGV) do
  local room = { redis.call('EXISTS', KEYS[at]) }
  at = at + 1
  for _ = 1, tonumber(count) do
    local fields = redis.call('HMGET', KEYS[at], 'state', 'room')
    room[#room + 1] = fields[1]
    room[#room + 1] = fields[2]
    at = at + 1
  end
  rooms[i] = room
end
return rooms
