-- end_own_rest: REST jobs this worker id noted as running but no job of this process runs: an
-- earlier process with the same worker id stopped without finishing them (restarted before its
-- heartbeat expired, so no peer recovered them). No message can bring a REST job back: each ends
-- failed/internal_error (with a failures-list record for queue clients) and leaves the set.
-- Every key a script touches must be in KEYS, so the caller reads the set first (SMEMBERS) and
-- passes the records of the members no job of this process runs; only those still in the set are
-- ended here.
-- KEYS[1] this worker's REST job set, KEYS[2] events channel, KEYS[3] failures list, KEYS[4] event
-- stream, KEYS[5..] the records of the REST jobs to end
-- ARGV[1] this worker's id, ARGV[2] now (RFC 3339), ARGV[3] most entries kept in the failures list,
-- ARGV[4] `metadata.storage` JSON of a failures record, ARGV[5] most entries kept in the event stream,
-- ARGV[6..] the ids of the REST jobs whose records are KEYS[5..], in the same order
-- Returns the number of jobs ended.
local ended = 0
for i = 5, #KEYS do
  local job_id = ARGV[i + 1]
  if redis.call('SISMEMBER', KEYS[1], job_id) == 1 then
    if end_orphaned_rest_job(KEYS[i], ARGV[1], { KEYS[2], KEYS[4], ARGV[5] }, ARGV[2],
        'the worker running this REST job restarted without finishing it', KEYS[3], ARGV[3], ARGV[4]) then
      ended = ended + 1
    end
    redis.call('SREM', KEYS[1], job_id)
  end
end
return ended
