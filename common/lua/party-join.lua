--[[
  Adds a player to a party, the last in join order.

  KEYS[1]  the party hash
  ARGV[1]  the player as a member, JSON {"id","name","rating"}
  ARGV[2]  largest party (PARTY_MAX_SIZE)
  ARGV[3]  ttl in seconds
  ARGV[4]  the party's ticket field as the caller saw it ('' or a ticket the caller found ended)

  Returns: {'ok', party JSON}; {'not_found'}; {'full'}; {'changed'} when the party's ticket
  field moved since the caller looked (a new ticket may be live: look again).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'not_found' }
end
local fields = redis.call('HMGET', KEYS[1], 'id', 'code', 'leader', 'members', 'version', 'ticket')
if fields[6] ~= ARGV[4] then
  return { 'changed' }
end
local player = cjson.decode(ARGV[1])
local members = cjson.decode(fields[4])
local present = false
for _, member in ipairs(members) do
  if member.id == player.id then present = true end
end
local version = tonumber(fields[5])
if not present then
  if #members >= tonumber(ARGV[2]) then
    return { 'full' }
  end
  members[#members + 1] = player
  version = version + 1
  redis.call('HSET', KEYS[1], 'members', cjson.encode(members), 'version', version)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return { 'ok', cjson.encode({ id = fields[1], code = fields[2], leader = fields[3], members = members, version = version, ticket = fields[6] }) }
