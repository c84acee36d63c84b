-- give_back: a started job's bot was not admitted when the worker had to stop: its message goes
-- back to the head of the queue, the delivery does not count, and the record says it is queued
-- again with no owner (so any worker may take it at once).
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] processing list, KEYS[4] queue,
-- KEYS[5] attempts hash
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s), ARGV[3] message, ARGV[4] detail
-- Returns 1.
local digest = redis.sha1hex(ARGV[3])
redis.call('LREM', KEYS[3], 1, ARGV[3])
redis.call('LPUSH', KEYS[4], ARGV[3])
if tonumber(redis.call('HINCRBY', KEYS[5], digest, -1)) <= 0 then redis.call('HDEL', KEYS[5], digest) end
redis.call('HSET', KEYS[1], 'state', 'queued', 'worker', '', 'detail', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_state(KEYS[1], KEYS[2], ARGV[1])
return 1
