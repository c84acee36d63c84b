-- promote: scheduled messages that are due move to the head of the queue, earliest first. Each is
-- removed from the schedule and its index in the same step, so exactly one worker promotes it.
-- KEYS[1] schedule (sorted set), KEYS[2] queue, KEYS[3] schedule index (hash: digest -> message)
-- ARGV[1] now (unix ms), ARGV[2] most messages to move
-- Returns the number moved.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = #due, 1, -1 do
  redis.call('ZREM', KEYS[1], due[i])
  redis.call('HDEL', KEYS[3], redis.sha1hex(due[i]))
  redis.call('LPUSH', KEYS[2], due[i])
end
return #due
