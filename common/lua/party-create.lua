--[[
  Opens a party under a fresh code, unless a live party holds that code already.

  KEYS[1]  the party hash (hash tag: the code)
  ARGV[1]  party id
  ARGV[2]  code
  ARGV[3]  the leader as a member, JSON {"id","name","rating"}
  ARGV[4]  ttl in seconds (refreshed while a member is connected)

  Returns: the party as JSON, or false when the code is taken (the caller draws another).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
local leader = cjson.decode(ARGV[3])
local members = cjson.encode({ leader })
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'code', ARGV[2], 'leader', leader.id, 'members', members, 'version', 1, 'ticket', '')
redis.call('EXPIRE', KEYS[1], ARGV[4])
return cjson.encode({ id = ARGV[1], code = ARGV[2], leader = leader.id, members = { leader }, version = 1, ticket = '' })
