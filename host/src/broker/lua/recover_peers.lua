-- recover_peers: the messages of workers whose heartbeat expired go back to the head of the queue, in
-- their original order; their REST jobs, which no message can bring back, end failed/internal_error
-- (with a failures-list record for queue clients); and each such worker is forgotten. Only workers
-- whose deadline passed are read (at most ARGV[10] a call), so the cost does not grow with the fleet.
-- A deadline that passed while the heartbeat key lives is stale (the key is the authority): skipped,
-- the next beat moves it.
-- KEYS[1] set of known workers, KEYS[2] queue, KEYS[3] events channel, KEYS[4] failures list,
-- KEYS[5] event stream, KEYS[6] heartbeat deadlines (sorted set)
-- ARGV[1] processing list prefix (`Q:processing:`), ARGV[2] heartbeat key prefix, ARGV[3] this
-- worker's id (never recovered here: see reclaim_own), ARGV[4] REST job set prefix (`P:rest:`),
-- ARGV[5] job hash prefix (`P:job:`), ARGV[6] now (RFC 3339), ARGV[7] most entries kept in the
-- failures list, ARGV[8] `metadata.storage` JSON of a failures record, ARGV[9] most entries kept in
-- the event stream, ARGV[10] most workers recovered in one call
-- Returns the number of messages recovered.
local moved = 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[10]))
for _, worker in ipairs(expired) do
  if worker ~= ARGV[3] and redis.call('EXISTS', ARGV[2] .. worker) == 0 then
    local processing = ARGV[1] .. worker
    while redis.call('LMOVE', processing, KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
    local rest = ARGV[4] .. worker
    for _, job_id in ipairs(redis.call('SMEMBERS', rest)) do
      end_orphaned_rest_job(ARGV[5] .. job_id, worker, { KEYS[3], KEYS[5], ARGV[9] }, ARGV[6],
        'the worker running this REST job stopped without finishing it (no heartbeat)', KEYS[4], ARGV[7], ARGV[8])
    end
    redis.call('DEL', rest)
    redis.call('SREM', KEYS[1], worker)
    redis.call('ZREM', KEYS[6], worker)
  end
end
return moved
