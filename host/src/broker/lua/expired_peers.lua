-- expired_peers: the workers whose heartbeat deadline passed (Redis' clock), other than this one,
-- at most ARGV[2] of them: the dead peers recover_peer may take over, one call each. Only expired
-- deadlines are read, so the cost does not grow with the fleet. Writes nothing.
-- KEYS[1] heartbeat deadlines (sorted set)
-- ARGV[1] this worker's id (never recovered by itself: see reclaim_own), ARGV[2] most ids returned
-- Returns the ids, earliest deadline first.
local most = tonumber(ARGV[2])
local peers = {}
for _, worker in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, most + 1)) do
  if worker ~= ARGV[1] and #peers < most then table.insert(peers, worker) end
end
return peers
