-- Ends a purchase that is still PENDING with the outcome given, and announces
-- it; a purchase whose workflow wrote its outcome keeps it.
-- KEYS: 1 the purchase's record
-- ARGV: 1 the outcome's record (JSON), 2 its time to live in seconds,
--       3 the channel of outcomes, 4 the tracking id
-- Returns 1 when it was ended here, 0 when it was not PENDING (or not known).
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).status ~= 'PENDING' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
