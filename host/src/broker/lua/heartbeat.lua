-- heartbeat: this worker is alive; peers recover its messages once the key expires. Its deadline
-- (Redis' clock) goes to the heartbeat deadlines too, so recovery reads only the workers that expired.
-- KEYS[1] heartbeat key, KEYS[2] set of known workers, KEYS[3] heartbeat deadlines (sorted set)
-- ARGV[1] worker id, ARGV[2] TTL (s), ARGV[3] heartbeat value (JSON about the worker)
-- Returns the number of workers with a deadline: the fleet's size, which paces fleet-wide polling.
redis.call('SET', KEYS[1], ARGV[3], 'EX', tonumber(ARGV[2]))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[2]) * 1000, ARGV[1])
return redis.call('ZCARD', KEYS[3])
