-- Moves available stock by a restock's difference; reservations keep their units.
-- KEYS: 1 stock hash
-- ARGV: 1 difference
-- Returns {outcome, available, version}; outcome is ADJUSTED, or MISSING when
-- Redis does not hold the product (it lost its data): nothing is written then,
-- because a partial stock hash would block the product (only a rebuild makes one).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING', 0, 0} end
local available = redis.call('HINCRBY', KEYS[1], 'available', tonumber(ARGV[1]))
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'ADJUSTED', available, version}
