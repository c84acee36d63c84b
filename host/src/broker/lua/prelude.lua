-- Helpers shared by several scripts; prepended to each script that uses them.

-- Whether the job at job_key is active somewhere else, so a message for the same job id must not
-- run now. A finished job is not active. A scheduled job is active unless this is its own message
-- (same digest) coming back from the schedule. A job owned by this worker is checked by the host
-- against its running jobs before any script runs. Otherwise the job is active while its owner's
-- heartbeat lives.
local function is_active_elsewhere(job_key, digest, me, heartbeat_prefix)
  local fields = redis.call('HMGET', job_key, 'state', 'worker', 'digest')
  local state, owner, owner_digest = fields[1], fields[2], fields[3]
  if not state or state == 'completed' or state == 'failed' then return false end
  if state == 'scheduled' then return owner_digest ~= digest end
  if not owner or owner == '' or owner == me then return false end
  return redis.call('EXISTS', heartbeat_prefix .. owner) == 1
end

-- A finished job's record is replaced whole when the same job id runs again.
local function clear_if_finished(job_key)
  local state = redis.call('HGET', job_key, 'state')
  if not state or state == 'completed' or state == 'failed' then
    redis.call('DEL', job_key)
    return true
  end
  return false
end

-- HSET of ARGV[from..] taken as field/value pairs.
local function hset_from(job_key, from)
  if #ARGV >= from then redis.call('HSET', job_key, unpack(ARGV, from, #ARGV)) end
end

-- Publishes the record's current state as a JSON event.
local function publish_state(job_key, channel, at)
  local f = redis.call('HMGET', job_key, 'job_id', 'state', 'reason', 'detail', 'worker', 'correlation_id', 'attempt',
    'provider', 'botId', 'recording_url')
  local function v(x) if x then return x else return cjson.null end end
  redis.call('PUBLISH', channel, cjson.encode({
    job_id = f[1], state = f[2], reason = v(f[3]), detail = v(f[4]), at = at, worker = v(f[5]),
    correlation_id = v(f[6]), attempt = tonumber(f[7]) or cjson.null, provider = v(f[8]), botId = v(f[9]),
    recording_url = v(f[10])
  }))
end

-- A dead-letter entry (CONTRACT section 5); `message` is the original text.
local function dead_letter_entry(reason, err, message, worker, at, attempts)
  return cjson.encode({ reason = reason, error = err, message = message, worker = worker, at = at, attempts = attempts })
end

-- Appends `entry` to `list` and keeps only its newest `max_len` entries: no list grows without bound.
local function push_bounded(list, entry, max_len)
  redis.call('RPUSH', list, entry)
  redis.call('LTRIM', list, -tonumber(max_len), -1)
end

-- Whether worker `me` still owns the running job at job_key as delivery `attempt`: the record names it,
-- is not finished, and the delivery is still its own (the queue message in its processing list, or,
-- for a REST job (message ''), the job in its REST set). A peer takes a job over by moving its message
-- out (recovery) and rewriting the record (claim); a REST job of a worker taken for dead is ended by the
-- peer: either way the first worker must write nothing more. A record that is gone altogether means
-- Redis lost its data (a restart without persistence): nobody else can hold the job, so the owner
-- keeps it and registers its delivery again.
local function owns(job_key, me, attempt, processing, rest_set, message, job_id)
  if redis.call('EXISTS', job_key) == 0 then
    if message == '' then
      redis.call('SADD', rest_set, job_id)
    elseif not redis.call('LPOS', processing, message) then
      redis.call('RPUSH', processing, message)
    end
    return true
  end
  local f = redis.call('HMGET', job_key, 'worker', 'attempt', 'state')
  if f[1] ~= me or f[2] ~= attempt or f[3] == 'completed' or f[3] == 'failed' then return false end
  if message == '' then return redis.call('SISMEMBER', rest_set, job_id) == 1 end
  return redis.call('LPOS', processing, message) ~= false
end

-- Ends the REST job at job_key failed/internal_error with `detail`, unless it is finished already or
-- now belongs to another worker; true when it ended it. Used when the worker running it is gone.
local function end_orphaned_rest_job(job_key, owner, channel, at, detail)
  local fields = redis.call('HMGET', job_key, 'state', 'worker')
  local state, current_owner = fields[1], fields[2]
  if not state or state == 'completed' or state == 'failed' or current_owner ~= owner then return false end
  redis.call('HSET', job_key, 'state', 'failed', 'reason', 'internal_error', 'ended_at', at, 'detail', detail)
  publish_state(job_key, channel, at)
  return true
end
