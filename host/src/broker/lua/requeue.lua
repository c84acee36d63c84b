-- requeue: a taken message could not start (its slot went to a REST job in the meantime): back to
-- the head of the queue, untouched and uncounted.
-- KEYS[1] processing list, KEYS[2] queue
-- ARGV[1] message
-- Returns 1.
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[1])
return 1
