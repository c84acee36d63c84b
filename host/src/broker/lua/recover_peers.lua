-- recover_peers: the messages of every known worker whose heartbeat expired go back to the head
-- of the queue, in their original order, and the worker is forgotten.
-- KEYS[1] set of known workers, KEYS[2] queue
-- ARGV[1] processing list prefix (`Q:processing:`), ARGV[2] heartbeat key prefix, ARGV[3] this
-- worker's id (never recovered here: see reclaim_own)
-- Returns the number of messages recovered.
local moved = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if worker ~= ARGV[3] and redis.call('EXISTS', ARGV[2] .. worker) == 0 then
    local processing = ARGV[1] .. worker
    while redis.call('LMOVE', processing, KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
    redis.call('SREM', KEYS[1], worker)
  end
end
return moved
