-- transition: a running job changed state (or gained fields), written only while this worker still
-- owns the job (see `owns`): a late report can neither reopen a finished job nor overwrite the record
-- of a job another worker took over.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] this worker's processing list, KEYS[4] this
-- worker's REST jobs (set)
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s), ARGV[3] publish (1/0), ARGV[4] worker id,
-- ARGV[5] delivery attempt, ARGV[6] message ('' for a REST job), ARGV[7] job id, ARGV[8..] fields as pairs
-- Returns 'ok', or 'lost' when the job is no longer this worker's (nothing written).
if not owns(KEYS[1], ARGV[4], ARGV[5], KEYS[3], KEYS[4], ARGV[6], ARGV[7]) then return 'lost' end
hset_from(KEYS[1], 8)
redis.call('EXPIRE', KEYS[1], ARGV[2])
if ARGV[3] == '1' then publish_state(KEYS[1], KEYS[2], ARGV[1]) end
return 'ok'
