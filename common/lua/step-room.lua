--[[
  One event of a room's life, decided once: the Redis side of core/room-lifecycle.ts
  (test/integration/room-lifecycle-redis.test.ts runs every phase × event through this
  script and the pure machine and compares them). Whoever calls first wins; a gateway's
  accept, a decline and the matcher's deadline check can race freely.

  KEYS[1]  the proposal hash
  KEYS[2]  the pool's pending proposals (sorted set)
  KEYS[3]  the pool's decided proposals (set), which the pool's owner settles
  KEYS[4]  the room key (room event JSON, kept for late deliveries once final)
  ARGV[1]  event: accept | decline | leave | expire | allocate | allocation_failed | announce
  ARGV[2]  player id (answers), otherwise ''
  ARGV[3]  now, epoch ms
  ARGV[4]  ticket key prefix of the pool (ticket hash = prefix .. ticketId)
  ARGV[5]  ttl in seconds
  ARGV[6]  room id

  Returns: {outcome, phase, accepted, total}; outcome 'ok', or the refusal
  'not_pending' | 'wrong_phase' | 'not_due', or 'missing' when no proposal is stored.
]]
local proposal, pending, decided, roomKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local event, player, now, prefix, ttl, roomId = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]

local fields = redis.call('HMGET', proposal, 'phase', 'deadline', 'seats', 'accepted')
local phase = fields[1]
if not phase then
  return {'missing', '', 0, 0}
end
local deadline = tonumber(fields[2])
local seats = {}
for word in string.gmatch(fields[3], '%S+') do seats[#seats + 1] = word end
local accepted = {}
local acceptedCount = 0
for word in string.gmatch(fields[4], '%S+') do
  accepted[word] = true
  acceptedCount = acceptedCount + 1
end
local total = #seats / 2

local function answer(outcome)
  return {outcome, phase, acceptedCount, total}
end

-- Tickets once each, in seat order.
local tickets, seen = {}, {}
for i = 2, #seats, 2 do
  if not seen[seats[i]] then
    seen[seats[i]] = true
    tickets[#tickets + 1] = seats[i]
  end
end

local function dissolve(reason, endedPlayers)
  local endedTickets = {}
  for i = 1, #seats, 2 do
    if endedPlayers[seats[i]] then endedTickets[seats[i + 1]] = true end
  end
  local ended, requeued = {}, {}
  for _, ticket in ipairs(tickets) do
    local key = prefix .. ticket
    if endedTickets[ticket] then
      ended[#ended + 1] = ticket
      redis.call('HSET', key, 'state', reason == 'accept_timeout' and 'accept_timeout' or 'declined')
      redis.call('EXPIRE', key, ttl)
    else
      requeued[#requeued + 1] = ticket
      redis.call('HSET', key, 'state', 'queued')
      redis.call('HDEL', key, 'room')
    end
  end
  phase = 'dissolved'
  redis.call('HSET', proposal, 'phase', phase, 'reason', reason, 'ended', table.concat(ended, ' '), 'requeued', table.concat(requeued, ' '))
  redis.call('ZREM', pending, roomId)
  redis.call('SADD', decided, roomId)
  return answer('ok')
end

if event == 'accept' or event == 'decline' or event == 'leave' then
  local member = false
  for i = 1, #seats, 2 do
    if seats[i] == player then member = true end
  end
  if phase ~= 'proposed' or not member or now > deadline then return answer('not_pending') end
  if event == 'leave' then return dissolve('declined', {[player] = true}) end
  if accepted[player] then return answer('not_pending') end
  if event == 'decline' then return dissolve('declined', {[player] = true}) end
  acceptedCount = acceptedCount + 1
  local list = fields[4] == '' and player or (fields[4] .. ' ' .. player)
  redis.call('HSET', proposal, 'accepted', list)
  if acceptedCount == total then
    phase = 'final'
    local json = redis.call('HGET', proposal, 'json')
    for _, ticket in ipairs(tickets) do
      redis.call('HSET', prefix .. ticket, 'state', 'matched', 'room', roomId)
      redis.call('EXPIRE', prefix .. ticket, ttl)
    end
    redis.call('SET', roomKey, json, 'EX', ttl)
    redis.call('HSET', proposal, 'phase', phase)
    redis.call('ZREM', pending, roomId)
    redis.call('SADD', decided, roomId)
  end
  return answer('ok')
end

if event == 'expire' then
  if phase ~= 'proposed' then return answer('wrong_phase') end
  if now <= deadline then return answer('not_due') end
  local silent = {}
  for i = 1, #seats, 2 do
    if not accepted[seats[i]] then silent[seats[i]] = true end
  end
  return dissolve('accept_timeout', silent)
end

if event == 'allocate' then
  if phase ~= 'final' then return answer('wrong_phase') end
  phase = 'allocating'
  redis.call('HSET', proposal, 'phase', phase)
  return answer('ok')
end

if event == 'allocation_failed' then
  if phase ~= 'allocating' then return answer('wrong_phase') end
  return dissolve('allocation_failed', {})
end

if event == 'announce' then
  if phase ~= 'final' and phase ~= 'allocating' then return answer('wrong_phase') end
  phase = 'announced'
  redis.call('HSET', proposal, 'phase', phase)
  redis.call('SREM', decided, roomId)
  return answer('ok')
end

return redis.error_reply('unknown room event ' .. tostring(event))
