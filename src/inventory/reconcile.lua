-- Repairs a product's hot stock against a consistent PostgreSQL snapshot.
-- KEYS: 1 stock hash, 2 units held per user, 3 reservations
-- ARGV: 1 PostgreSQL stock_quantity, 2.. tracking ids that have an order
-- Held reservations without an order are in flight: what is available must be
-- PostgreSQL's stock minus them. This holds whatever commits or releases ran
-- since the snapshot, because each moves units between the two terms.
-- Holders are recounted from the held reservations.
-- Returns {drift, available, units in flight}; drift > 0 means Redis offered too much.
local committed = {}
for i = 2, #ARGV do committed[ARGV[i]] = true end

local inFlight = 0
local holders = {}
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  local _, _, userId, quantity = string.find(all[i + 1], '^R|(.*)|(%d+)|%d+$')
  if userId then
    quantity = tonumber(quantity)
    holders[userId] = (holders[userId] or 0) + quantity
    if not committed[all[i]] then inFlight = inFlight + quantity end
  end
end

local expected = tonumber(ARGV[1]) - inFlight
local drift = tonumber(redis.call('HGET', KEYS[1], 'available') or '0') - expected
if drift ~= 0 then
  redis.call('HSET', KEYS[1], 'available', expected)
  redis.call('HINCRBY', KEYS[1], 'version', 1)
end
redis.call('DEL', KEYS[2])
for userId, quantity in pairs(holders) do redis.call('HSET', KEYS[2], userId, quantity) end
return {drift, expected, inFlight}
