-- queue_head: how long the message now at the queue's head has been there, fleet-wide. Queue
-- messages carry no enqueue time (clients RPUSH their own JSON), so one small hash remembers the
-- head's digest and the Redis time it was first seen at the head; every worker's call agrees, and
-- the figure survives worker restarts. It is a lower bound: a head is timed from the first call
-- that sees it. The hash expires when no worker calls for a while, so a message pushed again much
-- later is not taken for the one seen then.
-- KEYS[1] queue, KEYS[2] head hash
-- ARGV[1] the hash's TTL (s)
-- Returns the head's wait in ms, or -1 when the queue is empty.
local head = redis.call('LRANGE', KEYS[1], 0, 0)[1]
if not head then
  redis.call('DEL', KEYS[2])
  return -1
end
local now = now_ms()
local digest = redis.sha1hex(head)
local seen = redis.call('HMGET', KEYS[2], 'digest', 'since_ms')
local wait = 0
if seen[1] == digest and tonumber(seen[2]) then
  wait = math.max(now - tonumber(seen[2]), 0)
else
  redis.call('HSET', KEYS[2], 'digest', digest, 'since_ms', now)
end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
return wait
