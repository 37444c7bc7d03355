-- Marks a reservation committed: its order in PostgreSQL now holds the units.
-- The mark stays until a reconciliation that started after it prunes it (see
-- reconcile.lua), so that reconciliation can tell what its snapshot counted.
-- KEYS: 1 stock hash, 3 reservations (2, units held per user, is untouched)
-- ARGV: 1 trackingId
-- Returns {outcome, available, version}; outcome is SETTLED, UNKNOWN (none
-- held) or MISSING (Redis lost the product; its rebuild counts the order).
local stock = redis.call('HMGET', KEYS[1], 'available', 'version')
if not stock[1] then return {'MISSING', 0, 0} end
local available, version = tonumber(stock[1]), tonumber(stock[2])
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if not existing then return {'UNKNOWN', available, version} end

local _, _, state, rest = string.find(existing, '^([RC])|(.*)|%d+$')
if state == 'R' then
  local now = redis.call('TIME')
  redis.call('HSET', KEYS[3], ARGV[1], 'C|' .. rest .. '|' .. (now[1] * 1000 + math.floor(now[2] / 1000)))
end
return {'SETTLED', available, version}
