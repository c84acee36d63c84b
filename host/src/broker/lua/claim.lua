-- claim: a taken message is about to run. Refuses a duplicate of a job active elsewhere, counts
-- the delivery, dead-letters a message delivered too often, and writes the job record. A record
-- that has not ended (a redelivery, or a scheduled job's own message) is rewritten whole from this
-- delivery's fields, keeping only the job's `correlation_id` and `created_at`: what an earlier
-- delivery's run wrote (a give-back's `detail`, `joined_at`, `recording_url`...) is not this run's,
-- and the worker's record, from which the events are built, must be the stored one.
-- KEYS[1] job hash, KEYS[2] this worker's processing list, KEYS[3] dead-letter list,
-- KEYS[4] attempts hash (field: message digest), KEYS[5] events channel, KEYS[6] event stream,
-- KEYS[7] and KEYS[8] (only when ARGV[3] is not '') that worker's heartbeat key and processing list
-- ARGV[1] message, ARGV[2] worker id, ARGV[3] the worker whose keys are passed as the record's owner
-- ('' for none; see is_active_elsewhere), ARGV[4] max attempts,
-- ARGV[5] now (RFC 3339), ARGV[6] record TTL (s), ARGV[7] correlation id for a new job,
-- ARGV[8] most entries kept in the dead-letter list, ARGV[9] most entries kept in the event stream,
-- ARGV[10] job id, ARGV[11] its state once claimed, ARGV[12] the event of the claim (JSON) without
-- `correlation_id` and `attempt`, which this script adds, ARGV[13..] record fields as field/value pairs
-- Returns {status, attempt, correlation_id, created_at}, status one of 'ok', 'duplicate', 'exhausted',
-- created_at the kept record's ('' when the record was new); or {'need_owner', 0, owner, ''} when the
-- record names an owner whose keys were not passed (nothing written).
local message, me, at = ARGV[1], ARGV[2], ARGV[5]
local digest = redis.sha1hex(message)
local active, need, state = is_active_elsewhere(KEYS[1], digest, me, message,
  { id = ARGV[3], heartbeat = KEYS[7], processing = KEYS[8] })
if need then return { 'need_owner', 0, need, '' } end
if active then
  redis.call('LREM', KEYS[2], 1, message)
  local attempts = tonumber(redis.call('HGET', KEYS[4], digest)) or 0
  redis.call('HDEL', KEYS[4], digest)
  push_bounded(KEYS[3], dead_letter_entry('invalid_message', 'duplicate', message, me, at, attempts), ARGV[8])
  return { 'duplicate', 0, '', '' }
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
  return { 'exhausted', max_attempts, correlation, '' }
end
local correlation, created = ARGV[7], false
if not clear_if_finished(KEYS[1], state) then
  local kept = redis.call('HMGET', KEYS[1], 'correlation_id', 'created_at')
  correlation, created = kept[1] or correlation, kept[2]
  redis.call('DEL', KEYS[1])
end
hset_from(KEYS[1], 13)
redis.call('HSET', KEYS[1], 'worker', me, 'digest', digest, 'attempt', attempt, 'correlation_id', correlation)
if created then redis.call('HSET', KEYS[1], 'created_at', created) end
redis.call('EXPIRE', KEYS[1], ARGV[6])
publish_event(ARGV[10], ARGV[11],
  '{"correlation_id":' .. cjson.encode(correlation) .. ',"attempt":' .. attempt .. ',' .. string.sub(ARGV[12], 2),
  KEYS[5], KEYS[6], ARGV[9])
return { 'ok', attempt, correlation, created or '' }
