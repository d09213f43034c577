--[[
  Takes a player out of a party: they left, or the leader kicked them. The lead passes to
  the member who joined earliest; the last member out ends the party. The party's ticket is
  detached and returned: the caller ends it (party_changed) if it is still live.

  KEYS[1]  the party hash
  ARGV[1]  the player leaving
  ARGV[2]  who asks: the same player (leave) or the leader (kick)
  ARGV[3]  ttl in seconds

  Returns: {'ok', party JSON (the party after), ticket}; {'ended', '', ticket} when no one is
  left; {'not_found'}; {'not_member'}; {'not_leader'} when a kick comes from someone else.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'not_found' }
end
local fields = redis.call('HMGET', KEYS[1], 'id', 'code', 'leader', 'members', 'version', 'ticket')
if ARGV[2] ~= ARGV[1] and ARGV[2] ~= fields[3] then
  return { 'not_leader' }
end
local members = cjson.decode(fields[4])
local kept = {}
local found = false
for _, member in ipairs(members) do
  if member.id == ARGV[1] then found = true else kept[#kept + 1] = member end
end
if not found then
  return { 'not_member' }
end
local ticket = fields[6]
if #kept == 0 then
  redis.call('DEL', KEYS[1])
  return { 'ended', '', ticket }
end
local leader = fields[3]
if leader == ARGV[1] then leader = kept[1].id end
local version = tonumber(fields[5]) + 1
redis.call('HSET', KEYS[1], 'members', cjson.encode(kept), 'leader', leader, 'version', version, 'ticket', '')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return { 'ok', cjson.encode({ id = fields[1], code = fields[2], leader = leader, members = kept, version = version, ticket = '' }), ticket }
