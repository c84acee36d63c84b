-- transition: a running job changed state (or gained fields). Never touches a finished record,
-- so a late report cannot reopen a job.
-- KEYS[1] job hash, KEYS[2] events channel
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s), ARGV[3] publish (1/0), ARGV[4..] fields as pairs
-- Returns 1 when written, 0 when the record was already finished.
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' or state == 'failed' then return 0 end
hset_from(KEYS[1], 4)
redis.call('EXPIRE', KEYS[1], ARGV[2])
if ARGV[3] == '1' then publish_state(KEYS[1], KEYS[2], ARGV[1]) end
return 1
