-- Gives a reservation's units back, exactly once per tracking id.
-- KEYS: 1 stock hash, 2 units held per user, 3 reservations
-- ARGV: 1 trackingId
-- Returns {outcome, available}; outcome is RELEASED, ALREADY_RELEASED or UNKNOWN.
local existing = redis.call('HGET', KEYS[3], ARGV[1])
local available = tonumber(redis.call('HGET', KEYS[1], 'available') or '0')
if not existing then return {'UNKNOWN', available} end
if string.sub(existing, 1, 1) == 'X' then return {'ALREADY_RELEASED', available} end

local _, _, userId, quantity = string.find(existing, '^R|(.*)|(%d+)|%d+$')
quantity = tonumber(quantity)
available = redis.call('HINCRBY', KEYS[1], 'available', quantity)
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HINCRBY', KEYS[2], userId, -quantity)
redis.call('HSET', KEYS[3], ARGV[1], 'X' .. string.sub(existing, 2))
return {'RELEASED', available}
