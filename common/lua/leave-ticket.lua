--[[
  Cancels a ticket if it is still queued; the other side of claim-room's race.

  KEYS[1]  ticket hash
  ARGV[1]  ttl in seconds
  ARGV[2]  '1': nobody is to be told (the player never heard `queued`), so mark it told now;
           '0': the caller tells `left` through claim-delivery, which marks it told once the
           socket took the frame (a gateway killed before that leaves it for the reconnect)

  Returns: 'cancelled' when this call ended it, otherwise the state that won
  ('matched', 'timeout' or 'cancelled'). A missing hash (Redis restarted empty)
  is cancelled too: the gateway only asks for a ticket it knows is live.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'queued' then
  return state
end
redis.call('HSET', KEYS[1], 'state', 'cancelled')
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'delivered', '1')
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 'cancelled'
