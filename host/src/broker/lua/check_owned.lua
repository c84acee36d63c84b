-- check_owned: which of the jobs running in this worker are no longer its own (see `owns`): a peer
-- recovered their messages while this worker could not reach Redis or was paused, or took them over.
-- Run with every heartbeat, so a worker that comes back learns within one beat that it must let go.
-- A queue job whose record this very delivery has just ended (finish ran, the runner has not let go
-- of the job yet) is not lost: it is done. (A peer that takes a queue job over writes its own id
-- into the record; a REST job of a worker taken for dead is ended by the peer under the first
-- worker's id, so a finished REST job is lost.)
-- KEYS[1] this worker's processing list, KEYS[2] this worker's REST jobs (set), KEYS[3..] the running
-- jobs' hashes
-- ARGV[1] worker id, then per running job (in KEYS order) three values: delivery attempt, message
-- ('' for a REST job), job id
-- Returns the 1-based positions (among KEYS[3..]) of the jobs that are lost.
local lost = {}
for i = 3, #KEYS do
  local at = 2 + (i - 3) * 3
  if not owns(KEYS[i], ARGV[1], ARGV[at], KEYS[1], KEYS[2], ARGV[at + 1], ARGV[at + 2]) then
    local f = redis.call('HMGET', KEYS[i], 'worker', 'attempt', 'state')
    local ended_here = ARGV[at + 1] ~= '' and f[1] == ARGV[1] and f[2] == ARGV[at]
      and (f[3] == 'completed' or f[3] == 'failed')
    if not ended_here then table.insert(lost, i - 2) end
  end
end
return lost
