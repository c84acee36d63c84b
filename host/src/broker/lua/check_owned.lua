-- check_owned: which of the jobs running in this worker are no longer its own (see `owns`): a peer
-- recovered their messages while this worker could not reach Redis or was paused, or took them over.
-- Run with every heartbeat, so a worker that comes back learns within one beat that it must let go.
-- KEYS[1] this worker's processing list, KEYS[2] this worker's REST jobs (set), KEYS[3..] the running
-- jobs' hashes
-- ARGV[1] worker id, then per running job (in KEYS order) three values: delivery attempt, message
-- ('' for a REST job), job id
-- Returns the 1-based positions (among KEYS[3..]) of the jobs that are lost.
local lost = {}
for i = 3, #KEYS do
  local at = 2 + (i - 3) * 3
  if not owns(KEYS[i], ARGV[1], ARGV[at], KEYS[1], KEYS[2], ARGV[at + 1], ARGV[at + 2]) then
    table.insert(lost, i - 2)
  end
end
return lost
