-- Records a purchase the API admitted as PENDING, unless it has a status
-- already: a repeat of a purchase keeps what it knows. The one status it
-- replaces is a purchase that never started (FAILED with TEMPORARILY_UNAVAILABLE:
-- its units were given back), which a retry under the same tracking id starts afresh.
-- KEYS: 1 the purchase's record
-- ARGV: 1 the PENDING record (JSON), 2 its time to live in seconds
-- Returns 1 when it was written, 0 when the purchase kept its status.
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  if record.status ~= 'FAILED' or record.reason ~= 'TEMPORARILY_UNAVAILABLE' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
