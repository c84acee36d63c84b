-- start_rest: a job accepted over REST is about to run. Refuses a duplicate of a job active
-- elsewhere, writes the job record, and notes the job among this worker's REST jobs (no message
-- stands for it, so this is how peers find it if the worker dies). A record left by an earlier run
-- of the same job id (ended, given back, or left by a worker taken for dead) is replaced whole: its
-- fields are not this run's, and the worker builds this run's events from its own record.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] this worker's REST jobs (set), KEYS[4] set of
-- known workers, KEYS[5] event stream, KEYS[6] heartbeat deadlines (sorted set), KEYS[7] (only when
-- ARGV[2] is not '') that worker's heartbeat key
-- ARGV[1] worker id, ARGV[2] the worker whose heartbeat key is passed as the record's owner ('' for
-- none; see is_active_elsewhere), ARGV[3] now (RFC 3339), ARGV[4] record TTL (s),
-- ARGV[5] digest of the body, ARGV[6] most entries kept in the event stream, ARGV[7..] record fields
-- as field/value pairs
-- Returns {status}, status 'ok' or 'duplicate'; or {'need_owner', owner} when the record names an
-- owner whose key was not passed (nothing written).
local active, need = is_active_elsewhere(KEYS[1], ARGV[5], ARGV[1], nil, { id = ARGV[2], heartbeat = KEYS[7] })
if need then return { 'need_owner', need } end
if active then return { 'duplicate' } end
redis.call('DEL', KEYS[1])
hset_from(KEYS[1], 7)
redis.call('HSET', KEYS[1], 'worker', ARGV[1], 'digest', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[3], redis.call('HGET', KEYS[1], 'job_id'))
redis.call('SADD', KEYS[4], ARGV[1])
-- Known to recovery even before this worker's first beat (a beat sets the real deadline).
redis.call('ZADD', KEYS[6], 'NX', now_ms(), ARGV[1])
publish_state(KEYS[1], KEYS[2], ARGV[3], KEYS[5], ARGV[6])
return { 'ok' }
