-- Repairs a product's available stock against a consistent PostgreSQL snapshot.
-- KEYS: 1 stock hash, 2 units held per user (untouched), 3 reservations
-- ARGV: 1 PostgreSQL stock_quantity, 2 Redis time (ms) read before the snapshot
--       was taken, 3.. tracking ids of reservations that have an order in it
-- What is available must be the snapshot's stock minus the units of every
-- reservation the snapshot does not count as committed. That holds whatever
-- reservations, commits and releases ran since the snapshot, because each moves
-- units between the two terms. A reservation settled before the snapshot was
-- taken is counted by it for sure, and is pruned here, so the reservations
-- hold only what is in flight or recently settled, whatever the history.
-- Returns {outcome, drift, available, in flight, version}; outcome is
-- RECONCILED or MISSING (nothing written: only a rebuild makes a stock hash);
-- drift > 0 means Redis offered too much.
local stock = redis.call('HMGET', KEYS[1], 'available', 'version')
if not stock[1] then return {'MISSING', 0, 0, 0, 0} end

local snapshotAt = tonumber(ARGV[2])
local committed = {}
for i = 3, #ARGV do committed[ARGV[i]] = true end

local inFlight = 0
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  local trackingId = all[i]
  local _, _, state, quantity, at = string.find(all[i + 1], '^([RC])|.*|(%d+)|(%d+)$')
  if state == 'C' and tonumber(at) < snapshotAt then
    redis.call('HDEL', KEYS[3], trackingId)
  elseif not committed[trackingId] then
    inFlight = inFlight + tonumber(quantity)
  end
end

local expected = tonumber(ARGV[1]) - inFlight
local drift = tonumber(stock[1]) - expected
local version = tonumber(stock[2])
if drift ~= 0 then
  redis.call('HSET', KEYS[1], 'available', expected)
  version = redis.call('HINCRBY', KEYS[1], 'version', 1)
end
return {'RECONCILED', drift, expected, inFlight, version}
