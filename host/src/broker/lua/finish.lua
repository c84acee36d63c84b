-- finish: a job ended. Writes the terminal record, publishes it, appends the client's
-- results/failures record, and only then acknowledges the delivery (removes the message from this
-- worker's processing list and forgets its delivery count, or forgets the REST job): all or nothing,
-- and only while this worker still owns the job (see `owns`). The worker sends what changed since
-- its last write; when the record is gone (Redis lost its data) and the first change is not the whole
-- record, nothing is written and the worker sends the whole record.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] processing list, KEYS[4] attempts hash,
-- KEYS[5] results or failures list, KEYS[6] this worker's REST jobs (set), KEYS[7] event stream
-- ARGV[1] the terminal state, ARGV[2] record TTL (s), ARGV[3] message ('' for REST jobs),
-- ARGV[4] results/failures record JSON ('' for none), ARGV[5] most entries kept in that list,
-- ARGV[6] worker id, ARGV[7] delivery attempt, ARGV[8] job id, ARGV[9] most entries kept in the event
-- stream, ARGV[10] the terminal event (JSON), ARGV[11] '1' when the change below is the whole
-- record, ARGV[12] how many state changes reported as the session ended come first (k), then k
-- times: its state and its event (JSON); then the change from the record last written to the
-- terminal one (see apply_change).
-- Those state changes are published in order, as `transition` would have, before the end: a job that
-- reports its last states as it ends costs one script, not one per state. Their fields are in the
-- one change (nobody can read the record between two steps of a script).
-- Returns 'ok'; 'lost' when the job is no longer this worker's, or 'missing' (nothing written).
local owner = ownership(KEYS[1], ARGV[6], ARGV[7], KEYS[3], KEYS[6], ARGV[3], ARGV[8], ARGV[11] == '1')
if owner ~= 'own' then return owner end
local i = 13
for _ = 1, tonumber(ARGV[12]) do
  publish_event(ARGV[8], ARGV[i], ARGV[i + 1], KEYS[2], KEYS[7], ARGV[9])
  i = i + 2
end
apply_change(KEYS[1], i)
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_event(ARGV[8], ARGV[1], ARGV[10], KEYS[2], KEYS[7], ARGV[9])
if ARGV[4] ~= '' then push_bounded(KEYS[5], ARGV[4], ARGV[5]) end
if ARGV[3] == '' then
  redis.call('SREM', KEYS[6], ARGV[8])
else
  redis.call('HDEL', KEYS[4], redis.sha1hex(ARGV[3]))
  redis.call('LREM', KEYS[3], 1, ARGV[3])
end
return 'ok'
