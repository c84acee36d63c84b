-- end_own_rest: REST jobs this worker id noted as running but no job of this process runs: an
-- earlier process with the same worker id stopped without finishing them (restarted before its
-- heartbeat expired, so no peer recovered them). No message can bring a REST job back: each ends
-- failed/internal_error (with a failures-list record for queue clients), and the set keeps only
-- the running ones.
-- KEYS[1] this worker's REST job set, KEYS[2] events channel, KEYS[3] failures list, KEYS[4] event stream
-- ARGV[1] job hash prefix (`P:job:`), ARGV[2] this worker's id, ARGV[3] now (RFC 3339),
-- ARGV[4] most entries kept in the failures list, ARGV[5] `metadata.storage` JSON of a failures
-- record, ARGV[6] most entries kept in the event stream, ARGV[7..] ids of the REST jobs running in
-- this process (kept)
-- Returns the number of jobs ended.
local running = {}
for i = 7, #ARGV do running[ARGV[i]] = true end
local ended = 0
for _, job_id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not running[job_id] then
    if end_orphaned_rest_job(ARGV[1] .. job_id, ARGV[2], { KEYS[2], KEYS[4], ARGV[6] }, ARGV[3],
        'the worker running this REST job restarted without finishing it', KEYS[3], ARGV[4], ARGV[5]) then
      ended = ended + 1
    end
    redis.call('SREM', KEYS[1], job_id)
  end
end
return ended
