--[[
  Records rooms as routed to their players' gateways, so a redelivered copy is dropped (the
  notifier's of one turn and pool in one call, common/turn-batch.ts; every key shares the pool's
  hash slot).

  KEYS[i]  the `notified` key of room i
  ARGV[1]  seconds to keep each (as long as outcomes are kept)

  Returns the number of keys written.
]]
for _, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'EX', ARGV[1])
end
return #KEYS
