--[[
  Records outcomes as told (their frames reached the players' sockets): nobody tells them
  again. Several in one call (the gateway's of one turn and pool, common/turn-batch.ts); every
  key of a call shares the pool's hash slot.

  KEYS[i]  the ticket hash of mark i
  ARGV[i]  its told field (`delivered`, or `delivered:PLAYER` for a party's member)

  Returns the number of marks.
]]
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, ARGV[i], '1')
end
return #KEYS
