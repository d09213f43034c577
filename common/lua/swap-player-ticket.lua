--[[
  Points a player at a new live ticket, only if the pointer still holds what the
  caller saw (compare-and-set), so two racing joins cannot both win.

  KEYS[1]  the player's ticket pointer
  ARGV[1]  the value the caller read ('' for none)
  ARGV[2]  the new value
  ARGV[3]  ttl in seconds

  Returns: 1 when set, 0 when the pointer changed meanwhile.
]]
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
