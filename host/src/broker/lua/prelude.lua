-- Helpers shared by several scripts; prepended to each script that uses them.

-- Whether the job at job_key is active somewhere else, so a message for the same job id must not
-- run now. A finished job is not active. A scheduled job is active unless this is its own message
-- (same digest) coming back from the schedule. A job owned by this worker is checked by the host
-- against its running jobs before any script runs. Otherwise the job is active while its owner's
-- heartbeat lives, unless `message` (nil for REST jobs) is the owner's own delivery and no longer
-- in its processing list: the owner was cut off past its TTL, a peer recovered the message, and
-- this is its redelivery, not a duplicate (the owner lets go of the job once it sees the record is
-- no longer its own).
-- A script touches only the keys passed in KEYS, and the owner is not known before the record is
-- read: `owner` names the worker whose keys the caller passed ({id, heartbeat, processing}; id ''
-- for none; processing unused for REST jobs). When the record names another owner, the second
-- result is that owner's id: the script must write nothing and answer `need_owner`, so the caller
-- calls again with that worker's keys. The third result is the record's state (nil: no record), for
-- clear_if_finished.
local function is_active_elsewhere(job_key, digest, me, message, owner)
  local fields = redis.call('HMGET', job_key, 'state', 'worker', 'digest')
  local state, current, owner_digest = fields[1], fields[2], fields[3]
  if not state or state == 'completed' or state == 'failed' then return false, nil, state end
  if state == 'scheduled' then return owner_digest ~= digest, nil, state end
  if not current or current == '' or current == me then return false, nil, state end
  if current ~= owner.id then return false, current, state end
  if redis.call('EXISTS', owner.heartbeat) == 0 then return false, nil, state end
  if message and owner_digest == digest and not redis.call('LPOS', owner.processing, message) then
    return false, nil, state
  end
  return true, nil, state
end

-- Redis' clock in unix milliseconds: heartbeat deadlines are set and compared on this one clock,
-- whatever the workers' clocks say.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A finished job's record is replaced whole when the same job id runs again; `state` is the record's
-- (nil: there is none), as is_active_elsewhere read it in the same script. True when there is no
-- record left.
local function clear_if_finished(job_key, state)
  if not state then return true end
  if state == 'completed' or state == 'failed' then
    redis.call('DEL', job_key)
    return true
  end
  return false
end

-- Applies a change to the record at job_key from ARGV[i..]: n, then n items (field/value pairs to
-- set), then m, then m fields to remove. Returns the index after it.
local function apply_change(job_key, i)
  local n = tonumber(ARGV[i])
  if n > 0 then redis.call('HSET', job_key, unpack(ARGV, i + 1, i + n)) end
  i = i + 1 + n
  local m = tonumber(ARGV[i])
  if m > 0 then redis.call('HDEL', job_key, unpack(ARGV, i + 1, i + m)) end
  return i + 1 + m
end

-- HSET of ARGV[from..] taken as field/value pairs.
local function hset_from(job_key, from)
  if #ARGV >= from then redis.call('HSET', job_key, unpack(ARGV, from, #ARGV)) end
end

-- Publishes `event`, the JSON of a state change of job `job_id` now in `state`, on `channel`, and
-- appends it to the durable `stream` (fields job_id, state, event), kept to about `max_len` entries
-- ('0': none). The scripts a running job's worker calls get the event built by the worker from its
-- record, which is the stored one while it owns the job.
local function publish_event(job_id, state, event, channel, stream, max_len)
  redis.call('PUBLISH', channel, event)
  if tonumber(max_len) > 0 then
    redis.call('XADD', stream, 'MAXLEN', '~', max_len, '*', 'job_id', job_id, 'state', state, 'event', event)
  end
end

-- Publishes the record's current state as a JSON event, read from the record (see publish_event):
-- for the scripts that write a record no worker holds in memory.
local function publish_state(job_key, channel, at, stream, max_len)
  local f = redis.call('HMGET', job_key, 'job_id', 'state', 'reason', 'detail', 'worker', 'correlation_id', 'attempt',
    'provider', 'botId', 'recording_url')
  local function v(x) if x then return x else return cjson.null end end
  local event = cjson.encode({
    job_id = f[1], state = f[2], reason = v(f[3]), detail = v(f[4]), at = at, worker = v(f[5]),
    correlation_id = v(f[6]), attempt = tonumber(f[7]) or cjson.null, provider = v(f[8]), botId = v(f[9]),
    recording_url = v(f[10])
  })
  publish_event(f[1], f[2], event, channel, stream, max_len)
end

-- A dead-letter entry (docs/REFERENCE.md section 5); `message` is the original text.
local function dead_letter_entry(reason, err, message, worker, at, attempts)
  return cjson.encode({ reason = reason, error = err, message = message, worker = worker, at = at, attempts = attempts })
end

-- Appends `entry` to `list` and keeps only its newest `max_len` entries: no list grows without bound.
local function push_bounded(list, entry, max_len)
  local max = tonumber(max_len)
  if redis.call('RPUSH', list, entry) > max then redis.call('LTRIM', list, -max, -1) end
end

-- Whether worker `me` still owns the running job at job_key as delivery `attempt`: the record names it,
-- is not finished, and the delivery is still its own (the queue message in its processing list, or,
-- for a REST job (message ''), the job in its REST set). A peer takes a job over by moving its message
-- out (recovery) and rewriting the record (claim); a REST job of a worker taken for dead is ended by the
-- peer: either way the first worker must write nothing more. A record that is gone altogether (every
-- record has a state) means Redis lost its data (a restart without persistence): nobody else can hold
-- the job, so the owner keeps it and registers its delivery again, unless `whole` is false: the
-- caller's write is not the whole record, so nothing may be written and the answer is 'missing' (the
-- worker then sends the whole record). Returns 'own', 'lost' or 'missing'.
local function ownership(job_key, me, attempt, processing, rest_set, message, job_id, whole)
  local f = redis.call('HMGET', job_key, 'worker', 'attempt', 'state')
  if not f[3] then
    if not whole then return 'missing' end
    if message == '' then
      redis.call('SADD', rest_set, job_id)
    elseif not redis.call('LPOS', processing, message) then
      redis.call('RPUSH', processing, message)
    end
    return 'own'
  end
  if f[1] ~= me or f[2] ~= attempt or f[3] == 'completed' or f[3] == 'failed' then return 'lost' end
  local held
  if message == '' then
    held = redis.call('SISMEMBER', rest_set, job_id) == 1
  else
    held = redis.call('LPOS', processing, message) ~= false
  end
  if held then return 'own' end
  return 'lost'
end

-- ownership() for a write that may recreate a record that is gone: whether this worker owns the job.
local function owns(job_key, me, attempt, processing, rest_set, message, job_id)
  return ownership(job_key, me, attempt, processing, rest_set, message, job_id, true) == 'own'
end

-- The client's failures-list record (docs/REFERENCE.md section 5, the shape notify/results.rs writes) for a
-- job ended failed/internal_error here, without a recording; `storage` is its `metadata.storage` JSON.
local function internal_error_record(job_key, at, detail, storage)
  local f = redis.call('HMGET', job_key, 'job_id', 'url', 'userId', 'teamId', 'botId', 'eventId', 'provider')
  local function v(x) if x then return x else return cjson.null end end
  return cjson.encode({
    recordingId = f[1], meetingLink = v(f[2]), status = 'failed', blobUrl = cjson.null, timestamp = at,
    reason = 'internal_error',
    metadata = { userId = v(f[3]), teamId = v(f[4]), botId = v(f[5]), eventId = v(f[6]), provider = v(f[7]),
      duration = cjson.null, storage = cjson.decode(storage) },
    error = { type = 'internal_error', message = detail }
  })
end

-- Ends the REST job at job_key failed/internal_error with `detail`, unless it is finished already or
-- now belongs to another worker, and tells queue clients on the failures list (`failures`, at most
-- `max_len` entries; `storage` as internal_error_record takes it); `events` is {channel, stream,
-- stream_max_len} for publish_state. True when it ended it. Used when the worker running it is gone.
local function end_orphaned_rest_job(job_key, owner, events, at, detail, failures, max_len, storage)
  local fields = redis.call('HMGET', job_key, 'state', 'worker')
  local state, current_owner = fields[1], fields[2]
  if not state or state == 'completed' or state == 'failed' or current_owner ~= owner then return false end
  redis.call('HSET', job_key, 'state', 'failed', 'reason', 'internal_error', 'ended_at', at, 'detail', detail)
  publish_state(job_key, events[1], at, events[2], events[3])
  push_bounded(failures, internal_error_record(job_key, at, detail, storage), max_len)
  return true
end
