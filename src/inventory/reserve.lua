-- Atomically reserves stock for one purchase, at most once per tracking id.
-- KEYS: 1 stock hash {available, maxPerUser, version}, 2 units held per user, 3 reservations
-- ARGV: 1 trackingId, 2 userId, 3 quantity
-- A reservation is 'R|user|quantity|ms' while its purchase is in flight and
-- 'C|user|quantity|ms' once committed (ms: when it was made, then settled).
-- Returns {outcome, available}; outcome is RESERVED (just now), HELD (this
-- tracking id holds it already), IDEMPOTENCY_KEY_REUSED (this tracking id holds
-- another request's reservation), SOLD_OUT, PURCHASE_LIMIT, INSUFFICIENT_STOCK
-- or PRODUCT_NOT_FOUND.
local stock = redis.call('HMGET', KEYS[1], 'available', 'maxPerUser')
if not stock[1] then return {'PRODUCT_NOT_FOUND', 0} end
local available = tonumber(stock[1])

local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then
  local _, _, userId, quantity = string.find(existing, '^[RC]|(.*)|(%d+)|%d+$')
  if userId ~= ARGV[2] or quantity ~= ARGV[3] then return {'IDEMPOTENCY_KEY_REUSED', available} end
  return {'HELD', available}
end

local quantity = tonumber(ARGV[3])
if available <= 0 then return {'SOLD_OUT', available} end
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if held + quantity > tonumber(stock[2]) then return {'PURCHASE_LIMIT', available} end
if available < quantity then return {'INSUFFICIENT_STOCK', available} end

local now = redis.call('TIME')
available = redis.call('HINCRBY', KEYS[1], 'available', -quantity)
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], quantity)
redis.call('HSET', KEYS[3], ARGV[1], 'R|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. (now[1] * 1000 + math.floor(now[2] / 1000)))
return {'RESERVED', available}
