--[[
  Claims the telling of tickets' outcomes, each to one connection of its player: each outcome
  is told once, whatever redelivers it, yet never lost to a gateway killed between the claim and
  its socket write. Several claims go in one call (the gateway's claims of one turn and pool,
  common/turn-batch.ts), each decided on its own, in order, exactly as one call each would be;
  every key of a call shares the pool's hash slot.

  KEYS[i]      the ticket hash of claim i (a ticket may appear more than once: a party's members)
  ARGV[1]      ttl in seconds, for a hash Redis had lost and this call recreates
  ARGV[3i-1]   claim i's told field (`delivered`, or `delivered:PLAYER` for a party's member),
               set once the frame was written to the socket
  ARGV[3i]     claim i's telling field (`telling`, or `telling:PLAYER`): the connection telling it now
  ARGV[3i+1]   claim i's connection id

  Returns, per claim, 1 when this connection is to tell the outcome: nobody told it yet and no
  one is telling it, or only an older connection of the player was (the newest socket wins:
  that one is closed, or its gateway died before its write). 0 when it was told, or this
  connection is telling it already (a redelivery).
]]
local answers = {}
for i, key in ipairs(KEYS) do
  local told, telling, connection = ARGV[3 * i - 1], ARGV[3 * i], ARGV[3 * i + 1]
  if redis.call('HEXISTS', key, told) == 1 or redis.call('HGET', key, telling) == connection then
    answers[i] = 0
  else
    redis.call('HSET', key, telling, connection)
    if redis.call('TTL', key) < 0 then
      redis.call('EXPIRE', key, ARGV[1])
    end
    answers[i] = 1
  end
end
return answers
