-- cancel_scheduled: a job waiting for its joinAt is cancelled: its message leaves the schedule
-- (found through the index by the digest its record keeps, without reading the schedule) and its
-- record ends completed/cancelled. Nothing happens unless the record is `scheduled`.
-- KEYS[1] job hash, KEYS[2] schedule (sorted set), KEYS[3] events channel, KEYS[4] schedule index
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s)
-- Returns 1 when cancelled, 0 otherwise.
local fields = redis.call('HMGET', KEYS[1], 'state', 'digest')
if fields[1] ~= 'scheduled' or not fields[2] then return 0 end
local member = redis.call('HGET', KEYS[4], fields[2])
if not member or redis.call('ZREM', KEYS[2], member) == 0 then return 0 end
redis.call('HDEL', KEYS[4], fields[2])
redis.call('HSET', KEYS[1], 'state', 'completed', 'reason', 'cancelled', 'detail', 'cancelled before its joinAt',
  'ended_at', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_state(KEYS[1], KEYS[3], ARGV[1])
return 1
