--[[
  Records that the broker confirmed a ticket's join, on a ticket hash Redis still holds.
  One Redis lost meanwhile (a restart) is not recreated: an HSET alone would leave a hash of one
  field and no expiry behind, forever; the gateway writes the live ticket back whole (restore).

  KEYS[1]  the ticket hash

  Returns 1 when recorded, 0 when the hash was gone.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'confirmed', '1')
return 1
