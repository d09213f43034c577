--[[
  Records outcomes as told (their frames reached the players' sockets): nobody tells them
  again. Several in one call (the gateway's of one turn and pool, common/turn-batch.ts); every
  key of a call shares the pool's hash slot.

  KEYS[i]  the ticket hash of mark i
  ARGV[i]  its told field (`delivered`, or `delivered:PLAYER` for a party's member)

  A hash Redis no longer holds (expired, or lost to a restart) is left alone: an HSET would
  recreate it as a field with no expiry, kept forever. So is the confirm (confirm-ticket.lua).

  Returns the number of marks made.
]]
local marked = 0
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, ARGV[i], '1')
    marked = marked + 1
  end
end
return marked
