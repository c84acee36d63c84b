-- schedule: a taken message whose joinAt is in the future moves to the schedule, and its record
-- says so. A duplicate of a job active elsewhere is dead-lettered instead.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] processing list, KEYS[4] schedule (sorted set),
-- KEYS[5] dead-letter list
-- ARGV[1] message, ARGV[2] worker id, ARGV[3] heartbeat key prefix, ARGV[4] due (unix ms),
-- ARGV[5] now (RFC 3339), ARGV[6] record TTL (s), ARGV[7] correlation id, ARGV[8..] fields as pairs
-- Returns 'ok' or 'duplicate'.
local message, me = ARGV[1], ARGV[2]
local digest = redis.sha1hex(message)
redis.call('LREM', KEYS[3], 1, message)
if is_active_elsewhere(KEYS[1], digest, me, ARGV[3]) then
  redis.call('RPUSH', KEYS[5], dead_letter_entry('invalid_message', 'duplicate', message, me, ARGV[5], 0))
  return 'duplicate'
end
local correlation = ARGV[7]
if not clear_if_finished(KEYS[1]) then
  correlation = redis.call('HGET', KEYS[1], 'correlation_id') or correlation
end
redis.call('ZADD', KEYS[4], ARGV[4], message)
hset_from(KEYS[1], 8)
redis.call('HSET', KEYS[1], 'state', 'scheduled', 'worker', me, 'digest', digest, 'correlation_id', correlation)
redis.call('EXPIRE', KEYS[1], ARGV[6])
publish_state(KEYS[1], KEYS[2], ARGV[5])
return 'ok'
