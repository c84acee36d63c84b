-- transition: a running job changed state (or gained fields), written only while this worker still
-- owns the job (see `owns`): a late report can neither reopen a finished job nor overwrite the record
-- of a job another worker took over.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] this worker's processing list, KEYS[4] this
-- worker's REST jobs (set), KEYS[5] event stream
-- ARGV[1] record TTL (s), ARGV[2] worker id, ARGV[3] delivery attempt, ARGV[4] message ('' for a REST
-- job), ARGV[5] job id, ARGV[6] most entries kept in the event stream, ARGV[7] the state written,
-- ARGV[8] its event (JSON; '' to publish nothing), ARGV[9..] fields as pairs
-- Returns 'ok', or 'lost' when the job is no longer this worker's (nothing written).
if not owns(KEYS[1], ARGV[2], ARGV[3], KEYS[3], KEYS[4], ARGV[4], ARGV[5]) then return 'lost' end
hset_from(KEYS[1], 9)
redis.call('EXPIRE', KEYS[1], ARGV[1])
if ARGV[8] ~= '' then publish_event(ARGV[5], ARGV[7], ARGV[8], KEYS[2], KEYS[5], ARGV[6]) end
return 'ok'
