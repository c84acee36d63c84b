-- transition: a running job changed state (or gained fields), written only while this worker still
-- owns the job (see `owns`): a late report can neither reopen a finished job nor overwrite the record
-- of a job another worker took over. The worker sends what changed since its last write; when the
-- record is gone (Redis lost its data) and the change is not the whole record, nothing is written and
-- the worker sends the whole record.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] this worker's processing list, KEYS[4] this
-- worker's REST jobs (set), KEYS[5] event stream
-- ARGV[1] record TTL (s), ARGV[2] worker id, ARGV[3] delivery attempt, ARGV[4] message ('' for a REST
-- job), ARGV[5] job id, ARGV[6] most entries kept in the event stream, ARGV[7] the state written,
-- ARGV[8] its event (JSON; '' to publish nothing), ARGV[9] '1' when the change is the whole record,
-- ARGV[10..] the change (see apply_change)
-- Returns 'ok'; 'lost' when the job is no longer this worker's, or 'missing' (nothing written).
local owner = ownership(KEYS[1], ARGV[2], ARGV[3], KEYS[3], KEYS[4], ARGV[4], ARGV[5], ARGV[9] == '1')
if owner ~= 'own' then return owner end
apply_change(KEYS[1], 10)
redis.call('EXPIRE', KEYS[1], ARGV[1])
if ARGV[8] ~= '' then publish_event(ARGV[5], ARGV[7], ARGV[8], KEYS[2], KEYS[5], ARGV[6]) end
return 'ok'
