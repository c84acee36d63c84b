-- fail_unrun: the job of a message that was dead-lettered before it could run here (delivered
-- redis.max_attempts times without finishing) ends failed: its record, its event, and the
-- client's failure record. A record that already ended is left as it is.
-- KEYS[1] job hash, KEYS[2] events channel, KEYS[3] failures list
-- ARGV[1] now (RFC 3339), ARGV[2] record TTL (s), ARGV[3] failure record JSON, ARGV[4] most entries
-- kept in the failures list, ARGV[5..] fields as pairs
-- Returns 1 when written, 0 when the record had already ended.
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' or state == 'failed' then return 0 end
hset_from(KEYS[1], 5)
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_state(KEYS[1], KEYS[2], ARGV[1])
push_bounded(KEYS[3], ARGV[3], ARGV[4])
return 1
