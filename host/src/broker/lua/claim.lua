-- claim: a taken message is about to run. Refuses a duplicate of a job active elsewhere, counts
-- the delivery, dead-letters a message delivered too often, and writes the job record.
-- KEYS[1] job hash, KEYS[2] this worker's processing list, KEYS[3] dead-letter list,
-- KEYS[4] attempts hash (field: message digest), KEYS[5] events channel, KEYS[6] event stream,
-- KEYS[7] and KEYS[8] (only when ARGV[3] is not '') that worker's heartbeat key and processing list
-- ARGV[1] message, ARGV[2] worker id, ARGV[3] the worker whose keys are passed as the record's owner
-- ('' for none; see is_active_elsewhere), ARGV[4] max attempts,
-- ARGV[5] now (RFC 3339), ARGV[6] record TTL (s), ARGV[7] correlation id for a new job,
-- ARGV[8] most entries kept in the dead-letter list, ARGV[9] most entries kept in the event stream,
-- ARGV[10..] record fields as field/value pairs
-- Returns {status, attempt, correlation_id}, status one of 'ok', 'duplicate', 'exhausted'; or
-- {'need_owner', 0, owner} when the record names an owner whose keys were not passed (nothing written).
local message, me, at = ARGV[1], ARGV[2], ARGV[5]
local digest = redis.sha1hex(message)
local active, need = is_active_elsewhere(KEYS[1], digest, me, message,
  { id = ARGV[3], heartbeat = KEYS[7], processing = KEYS[8] })
if need then return { 'need_owner', 0, need } end
if active then
  redis.call('LREM', KEYS[2], 1, message)
  local attempts = tonumber(redis.call('HGET', KEYS[4], digest)) or 0
  redis.call('HDEL', KEYS[4], digest)
  push_bounded(KEYS[3], dead_letter_entry('invalid_message', 'duplicate', message, me, at, attempts), ARGV[8])
  return { 'duplicate', 0, '' }
end
local attempt = redis.call('HINCRBY', KEYS[4], digest, 1)
local max_attempts = tonumber(ARGV[4])
if attempt > max_attempts then
  redis.call('LREM', KEYS[2], 1, message)
  redis.call('HDEL', KEYS[4], digest)
  push_bounded(KEYS[3], dead_letter_entry('internal_error',
    'delivered ' .. max_attempts .. ' times without finishing (redis.max_attempts)', message, me, at, max_attempts),
    ARGV[8])
  local correlation = redis.call('HGET', KEYS[1], 'correlation_id') or ARGV[7]
  return { 'exhausted', max_attempts, correlation }
end
local correlation = ARGV[7]
if not clear_if_finished(KEYS[1]) then
  correlation = redis.call('HGET', KEYS[1], 'correlation_id') or correlation
end
hset_from(KEYS[1], 10)
redis.call('HSET', KEYS[1], 'worker', me, 'digest', digest, 'attempt', attempt, 'correlation_id', correlation)
redis.call('EXPIRE', KEYS[1], ARGV[6])
publish_state(KEYS[1], KEYS[5], at, KEYS[6], ARGV[9])
return { 'ok', attempt, correlation }
