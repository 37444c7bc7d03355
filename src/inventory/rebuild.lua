-- Loads a product's hot stock that Redis lost, from PostgreSQL and the
-- purchases still in flight. Does nothing if the stock is there.
-- KEYS: 1 stock hash, 2 units held per user, 3 reservations
-- ARGV: 1 PostgreSQL stock_quantity, 2 maxPerUser, 3 version to start from,
--       4 JSON {committed: {userId: units ordered}, inFlight: [{t: trackingId, u: userId, q: quantity}]}
-- Returns {outcome, available, version}; outcome is REBUILT or PRESENT.
if redis.call('EXISTS', KEYS[1]) == 1 then
  local stock = redis.call('HMGET', KEYS[1], 'available', 'version')
  return {'PRESENT', tonumber(stock[1]), tonumber(stock[2])}
end

local state = cjson.decode(ARGV[4])
redis.call('DEL', KEYS[2], KEYS[3])
for userId, units in pairs(state.committed) do redis.call('HSET', KEYS[2], userId, units) end
local now = redis.call('TIME')
local at = now[1] * 1000 + math.floor(now[2] / 1000)
local inFlight = 0
for _, r in ipairs(state.inFlight) do
  redis.call('HSET', KEYS[3], r.t, 'R|' .. r.u .. '|' .. r.q .. '|' .. at)
  redis.call('HINCRBY', KEYS[2], r.u, r.q)
  inFlight = inFlight + r.q
end
local available = tonumber(ARGV[1]) - inFlight
redis.call('HSET', KEYS[1], 'available', available, 'maxPerUser', ARGV[2], 'version', ARGV[3])
return {'REBUILT', available, tonumber(ARGV[3])}
