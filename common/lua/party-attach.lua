--[[
  Attaches the leader's new ticket to the party, only if the membership the ticket was built
  from is still the party's and no other ticket was attached meanwhile (compare-and-set).

  KEYS[1]  the party hash
  ARGV[1]  the party's version the caller read
  ARGV[2]  the ticket field the caller read ('' or an ended ticket)
  ARGV[3]  the new ticket ("TICKET_ID MODE REGION"), or '' to detach ARGV[2]
  ARGV[4]  ttl in seconds

  Returns: 1 when set, 0 when the party changed (or ended) meanwhile.
]]
local fields = redis.call('HMGET', KEYS[1], 'version', 'ticket')
if not fields[1] or fields[1] ~= ARGV[1] or fields[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'ticket', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
