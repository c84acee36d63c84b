-- finish: a job ended. Writes the terminal record, publishes it, appends the client's
-- results/failures record, and only then acknowledges the message (removes it from this worker's
-- processing list and forgets its delivery count): all or nothing.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] processing list, KEYS[4] attempts hash,
-- KEYS[5] results or failures list, KEYS[6] this worker's REST jobs (set)
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s), ARGV[3] message ('' for REST jobs),
-- ARGV[4] results/failures record JSON ('' for none), ARGV[5..] fields as pairs
-- Returns the number of processing entries removed.
hset_from(KEYS[1], 5)
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_state(KEYS[1], KEYS[2], ARGV[1])
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[5], ARGV[4]) end
if ARGV[3] == '' then
  redis.call('SREM', KEYS[6], redis.call('HGET', KEYS[1], 'job_id'))
  return 0
end
redis.call('HDEL', KEYS[4], redis.sha1hex(ARGV[3]))
return redis.call('LREM', KEYS[3], 1, ARGV[3])
