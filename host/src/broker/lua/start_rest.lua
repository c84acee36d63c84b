-- start_rest: a job accepted over REST is about to run. Refuses a duplicate of a job active
-- elsewhere and writes the job record.
-- KEYS[1] job hash, KEYS[2] events channel
-- ARGV[1] worker id, ARGV[2] heartbeat key prefix, ARGV[3] now (RFC 3339), ARGV[4] record TTL (s),
-- ARGV[5] digest of the body, ARGV[6..] record fields as field/value pairs
-- Returns 1 when started, 0 for a duplicate.
if is_active_elsewhere(KEYS[1], ARGV[5], ARGV[1], ARGV[2]) then return 0 end
clear_if_finished(KEYS[1])
hset_from(KEYS[1], 6)
redis.call('HSET', KEYS[1], 'worker', ARGV[1], 'digest', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[4])
publish_state(KEYS[1], KEYS[2], ARGV[3])
return 1
