--[[
  Writes back the end of a ticket a gateway told its player, after Redis came back (perhaps
  empty, after a restart without persistence). Redis is where every end is decided, and a
  restart loses the decision; the player who heard it is then its only record. Left lost, the
  ticket reads as queued: a missing hash counts as queued to a matcher (claim-room.lua), and a
  party's other member's gateway writes the ticket back as queued (TicketStore.restore), so a
  matcher would put it back in its pool and match it again (the chaos run: a party told
  `left declined`, re-proposed, then `left accept_timeout`).

  KEYS[1]  the ticket hash
  ARGV[1]  ttl in seconds, for a hash this call creates (one that has an expiry keeps it)
  ARGV[2]  the told field (`delivered`, or `delivered:PLAYER` for a party's member)
  ARGV[3]  the end told: a state (`matched`, `cancelled`, `timeout`, `declined`, ...)
  ARGV[4+] field / value pairs the end carries (`room`, `reason`, `party`)

  Only a ticket Redis holds as queued, or not at all, takes the end: an end once told is never
  undone (no ticket goes back to `queued` after its end was told), so a queued one here is a
  write-back of a live copy; any other state is Redis's own record, kept. The told field is set
  when the ticket then holds this very end, so the player is not told it again on reconnect.

  Returns 1 when the end was written, 0 when Redis held one already.
]]
local key = KEYS[1]
local state = redis.call('HGET', key, 'state')
local wrote = 0
if not state or state == 'queued' then
  redis.call('HSET', key, 'state', ARGV[3])
  for i = 4, #ARGV, 2 do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
  wrote = 1
end
if redis.call('HGET', key, 'state') == ARGV[3] then
  redis.call('HSET', key, ARGV[2], '1')
end
if redis.call('TTL', key) < 0 then
  redis.call('EXPIRE', key, ARGV[1])
end
return wrote
