-- Loads a product's hot stock that Redis lost, from PostgreSQL and the
-- purchases still in flight. Does nothing if the stock is there.
-- KEYS: 1 stock hash, 2 units held per user, 3 reservations
-- ARGV: 1 PostgreSQL stock_quantity, 2 maxPerUser, 3 version to start from,
--       4 JSON [{t: trackingId, u: userId, q: quantity, f: in flight?}]
-- Returns {outcome, available}; outcome is REBUILT or PRESENT.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'PRESENT', tonumber(redis.call('HGET', KEYS[1], 'available'))}
end

redis.call('DEL', KEYS[2], KEYS[3])
local inFlight = 0
for _, r in ipairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[3], r.t, 'R|' .. r.u .. '|' .. r.q .. '|0')
  redis.call('HINCRBY', KEYS[2], r.u, r.q)
  if r.f then inFlight = inFlight + r.q end
end
local available = tonumber(ARGV[1]) - inFlight
redis.call('HSET', KEYS[1], 'available', available, 'maxPerUser', ARGV[2], 'version', ARGV[3])
return {'REBUILT', available}
