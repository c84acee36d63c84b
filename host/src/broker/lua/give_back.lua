-- give_back: a started job's bot was not admitted when the worker had to stop: its message goes
-- back to the head of the queue, the delivery does not count, and the record says it is queued
-- again with no owner (so any worker may take it at once). Only while this worker still owns the
-- job (see `owns`): a message a peer already recovered must not be queued twice.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] processing list, KEYS[4] queue,
-- KEYS[5] attempts hash, KEYS[6] this worker's REST jobs (set)
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s), ARGV[3] message, ARGV[4] detail, ARGV[5] worker id,
-- ARGV[6] delivery attempt, ARGV[7] job id
-- Returns 'ok', or 'lost' when the job is no longer this worker's (nothing written).
if not owns(KEYS[1], ARGV[5], ARGV[6], KEYS[3], KEYS[6], ARGV[3], ARGV[7]) then return 'lost' end
local digest = redis.sha1hex(ARGV[3])
redis.call('LREM', KEYS[3], 1, ARGV[3])
redis.call('LPUSH', KEYS[4], ARGV[3])
if tonumber(redis.call('HINCRBY', KEYS[5], digest, -1)) <= 0 then redis.call('HDEL', KEYS[5], digest) end
redis.call('HSET', KEYS[1], 'state', 'queued', 'worker', '', 'detail', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_state(KEYS[1], KEYS[2], ARGV[1])
return 'ok'
