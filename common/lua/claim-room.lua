--[[
  Claims every ticket of a room at once, or none: the single point where a room wins
  its tickets against a racing leave, a timeout or another matcher.

  KEYS[1..n-1]  ticket hashes of the room (one pool, one hash slot)
  KEYS[n]       the room key, where the room event is kept for late deliveries
  ARGV[1]       room id
  ARGV[2]       room event JSON
  ARGV[3]       ttl in seconds for tickets and room

  Returns: {} when claimed; otherwise the 1-based indexes of tickets no longer queued.
  A ticket hash that is missing (Redis restarted empty) counts as queued: the broker,
  not Redis, is the record of who waits.
]]
local count = #KEYS - 1
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
  redis.call('HSET', KEYS[i], 'state', 'matched', 'room', ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
redis.call('SET', KEYS[#KEYS], ARGV[2], 'EX', ARGV[3])
return {}
