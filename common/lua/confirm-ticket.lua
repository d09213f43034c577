--[[
  Records that the broker confirmed the joins of tickets, on ticket hashes Redis still holds: a
  gateway's confirms of one turn and pool in one call (common/turn-batch.ts). One Redis lost
  meanwhile (a restart) is not recreated: an HSET alone would leave a hash of one field and no
  expiry behind, forever; the gateway writes the live ticket back whole (restore).

  KEYS[i]  a ticket hash (all of one pool, so of one hash slot)

  Returns, for each key in order, 1 when recorded, 0 when the hash was gone.
]]
local recorded = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'confirmed', '1')
    recorded[i] = 1
  else
    recorded[i] = 0
  end
end
return recorded
