-- retire: this worker stops. Whatever is left in its processing list goes back to the head of the
-- queue, and its heartbeat, membership and heartbeat deadline are removed.
-- KEYS[1] processing list, KEYS[2] queue, KEYS[3] heartbeat key, KEYS[4] set of known workers,
-- KEYS[5] heartbeat deadlines (sorted set)
-- ARGV[1] worker id
-- Returns the number of messages given back.
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return moved
