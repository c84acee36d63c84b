-- dead_letter: a taken message will never run: move it from the processing list to the
-- dead-letter list with its reason, and forget its delivery count.
-- KEYS[1] processing list, KEYS[2] dead-letter list, KEYS[3] attempts hash
-- ARGV[1] message, ARGV[2] reason, ARGV[3] error, ARGV[4] worker id, ARGV[5] now (RFC 3339),
-- ARGV[6] most entries kept in the dead-letter list,
-- ARGV[7] (only for a message that is not UTF-8) the message with invalid bytes replaced, and
-- ARGV[8] its exact bytes in base64: the entry must stay valid JSON
-- Returns 1.
local digest = redis.sha1hex(ARGV[1])
local attempts = tonumber(redis.call('HGET', KEYS[3], digest)) or 0
redis.call('HDEL', KEYS[3], digest)
redis.call('LREM', KEYS[1], 1, ARGV[1])
local entry
if ARGV[7] then
  entry = cjson.encode({ reason = ARGV[2], error = ARGV[3], message = ARGV[7], message_base64 = ARGV[8],
    worker = ARGV[4], at = ARGV[5], attempts = attempts })
else
  entry = dead_letter_entry(ARGV[2], ARGV[3], ARGV[1], ARGV[4], ARGV[5], attempts)
end
push_bounded(KEYS[2], entry, ARGV[6])
return 1
