-- schedule: a job whose joinAt is in the future waits in the schedule, and its record says so. The
-- schedule holds at most `max` jobs; a duplicate of a job active elsewhere is refused. A queue
-- message refused here is dead-lettered in the same step; a REST job's refusal is the caller's to
-- answer (its message was built by the worker and is in no list).
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] processing list, KEYS[4] schedule (sorted set),
-- KEYS[5] dead-letter list, KEYS[6] schedule index (hash: message digest -> message), KEYS[7] attempts hash,
-- KEYS[8] event stream, KEYS[9] and KEYS[10] (only when ARGV[3] is not '') that worker's heartbeat key
-- and processing list
-- ARGV[1] message, ARGV[2] worker id, ARGV[3] the worker whose keys are passed as the record's owner
-- ('' for none; see is_active_elsewhere), ARGV[4] due (unix ms),
-- ARGV[5] now (RFC 3339), ARGV[6] record TTL (s), ARGV[7] correlation id, ARGV[8] '1' for a queue
-- message, ARGV[9] most jobs in the schedule, ARGV[10] most entries kept in the dead-letter list,
-- ARGV[11] most entries kept in the event stream, ARGV[12..] fields as pairs
-- Returns {status}, status one of 'ok', 'duplicate', 'full'; or {'need_owner', owner} when the record
-- names an owner whose keys were not passed (nothing written).
local message, me, from_queue = ARGV[1], ARGV[2], ARGV[8] == '1'
local digest = redis.sha1hex(message)
local function refuse(status, detail)
  if from_queue then
    redis.call('LREM', KEYS[3], 1, message)
    local attempts = tonumber(redis.call('HGET', KEYS[7], digest)) or 0
    redis.call('HDEL', KEYS[7], digest)
    push_bounded(KEYS[5], dead_letter_entry('invalid_message', detail, message, me, ARGV[5], attempts), ARGV[10])
  end
  return { status }
end
local active, need, state = is_active_elsewhere(KEYS[1], digest, me, message,
  { id = ARGV[3], heartbeat = KEYS[9], processing = KEYS[10] })
if need then return { 'need_owner', need } end
if active then return refuse('duplicate', 'duplicate') end
if redis.call('ZSCORE', KEYS[4], message) == false and redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[9]) then
  return refuse('full', 'schedule_full')
end
if from_queue then redis.call('LREM', KEYS[3], 1, message) end
local correlation = ARGV[7]
if not clear_if_finished(KEYS[1], state) then
  correlation = redis.call('HGET', KEYS[1], 'correlation_id') or correlation
end
redis.call('ZADD', KEYS[4], ARGV[4], message)
redis.call('HSET', KEYS[6], digest, message)
hset_from(KEYS[1], 12)
redis.call('HSET', KEYS[1], 'state', 'scheduled', 'worker', me, 'digest', digest, 'correlation_id', correlation)
redis.call('EXPIRE', KEYS[1], ARGV[6])
publish_state(KEYS[1], KEYS[2], ARGV[5], KEYS[8], ARGV[11])
return { 'ok' }
