--[[
  Ends tickets that waited too long, each only if it is still queued.

  KEYS[1..n]  ticket hashes (one pool)
  ARGV[1]     ttl in seconds for the ended tickets

  Returns: one flag per key, 1 when this call ended the ticket, 0 when it had
  already ended (matched or cancelled meanwhile).
]]
local ended = {}
for i = 1, #KEYS do
  local state = redis.call('HGET', KEYS[i], 'state')
  if not state or state == 'queued' then
    redis.call('HSET', KEYS[i], 'state', 'timeout')
    redis.call('EXPIRE', KEYS[i], ARGV[1])
    ended[i] = 1
  else
    ended[i] = 0
  end
end
return ended
