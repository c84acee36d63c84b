-- heartbeat: this worker is alive; peers recover its messages once the key expires.
-- KEYS[1] heartbeat key, KEYS[2] set of known workers
-- ARGV[1] worker id, ARGV[2] TTL (s), ARGV[3] heartbeat value (JSON about the worker)
-- Returns 1.
redis.call('SET', KEYS[1], ARGV[3], 'EX', tonumber(ARGV[2]))
redis.call('SADD', KEYS[2], ARGV[1])
return 1
