-- recover_peer: a worker whose heartbeat expired is taken over: its messages go back to the head of
-- the queue in their original order; its REST jobs, which no message can bring back, end
-- failed/internal_error (with a failures-list record for queue clients); and once none is left it is
-- forgotten. Nothing happens while the worker lives: its heartbeat key exists (the key is the
-- authority: a deadline that passed while the key lives is stale, the next beat moves it), or its
-- deadline has not passed, or it is no longer known.
-- Every key a script touches must be in KEYS, so the caller reads the worker's REST jobs first
-- (SMEMBERS) and passes their records; only those still in the set are ended here. When the set
-- still holds jobs that were not passed, the worker is not forgotten yet: the caller goes again.
-- KEYS[1] the worker's heartbeat key, KEYS[2] its processing list, KEYS[3] its REST jobs (set),
-- KEYS[4] set of known workers, KEYS[5] heartbeat deadlines (sorted set), KEYS[6] queue, KEYS[7] events
-- channel, KEYS[8] failures list, KEYS[9] event stream, KEYS[10..] the records of its REST jobs
-- ARGV[1] the worker's id, ARGV[2] now (RFC 3339), ARGV[3] most entries kept in the failures list,
-- ARGV[4] `metadata.storage` JSON of a failures record, ARGV[5] most entries kept in the event stream,
-- ARGV[6..] the ids of the REST jobs whose records are KEYS[10..], in the same order
-- Returns {status, messages recovered}, status 'done' (forgotten), 'again' (REST jobs left that were not
-- passed) or 'alive' (nothing written).
local deadline = redis.call('ZSCORE', KEYS[5], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 or not deadline or tonumber(deadline) > now_ms() then
  return { 'alive', 0 }
end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[6], 'RIGHT', 'LEFT') do moved = moved + 1 end
for i = 10, #KEYS do
  local job_id = ARGV[i - 4]
  if redis.call('SISMEMBER', KEYS[3], job_id) == 1 then
    end_orphaned_rest_job(KEYS[i], ARGV[1], { KEYS[7], KEYS[9], ARGV[5] }, ARGV[2],
      'the worker running this REST job stopped without finishing it (no heartbeat)', KEYS[8], ARGV[3], ARGV[4])
    redis.call('SREM', KEYS[3], job_id)
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then return { 'again', moved } end
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return { 'done', moved }
