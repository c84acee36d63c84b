-- take: moves up to ARGV[1] messages from the head of the queue to the tail of this worker's
-- processing list, in their order, in one step: the consumer's take when the queue is deep and
-- several slots are free (one round trip instead of one BLMOVE per message). Each message moves
-- server-side exactly as BLMOVE moves it, so a reply the worker never reads leaves them all in the
-- processing list, where reclaiming strays finds them. A script cannot block: when this takes
-- nothing, the consumer waits in BLMOVE.
-- KEYS[1] queue, KEYS[2] this worker's processing list
-- ARGV[1] most messages to take
-- Returns the messages taken, oldest first (none when the queue is empty).
local taken = {}
for i = 1, tonumber(ARGV[1]) do
  local message = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not message then break end
  taken[i] = message
end
return taken
