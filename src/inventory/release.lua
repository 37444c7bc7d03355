-- Gives a reservation's units back, exactly once per tracking id, and forgets
-- it: a later reservation under the same tracking id starts afresh.
-- KEYS: 1 stock hash, 2 units held per user, 3 reservations
-- ARGV: 1 trackingId
-- Returns {outcome, available, version}; outcome is RELEASED, COMMITTED (its
-- order holds the units: nothing is given back), UNKNOWN (none held) or MISSING
-- (Redis lost the product: nothing can be given back until it is rebuilt).
local stock = redis.call('HMGET', KEYS[1], 'available', 'version')
if not stock[1] then return {'MISSING', 0, 0} end
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if not existing then return {'UNKNOWN', tonumber(stock[1]), tonumber(stock[2])} end

local _, _, state, userId, quantity = string.find(existing, '^([RC])|(.*)|(%d+)|%d+$')
if state == 'C' then return {'COMMITTED', tonumber(stock[1]), tonumber(stock[2])} end
quantity = tonumber(quantity)
local available = redis.call('HINCRBY', KEYS[1], 'available', quantity)
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HINCRBY', KEYS[2], userId, -quantity)
redis.call('HDEL', KEYS[3], ARGV[1])
return {'RELEASED', available, version}
