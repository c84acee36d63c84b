-- reclaim_own: messages in this worker's processing list that no running job holds go back to the
-- head of the queue in their original order: at start-up (a restart with the same worker id) and
-- after the blocking connection failed (a BLMOVE may have moved a message the worker never saw).
-- KEYS[1] processing list, KEYS[2] queue
-- ARGV[1..] the messages running jobs hold (kept)
-- Returns the number of messages given back.
local keep = {}
for i = 1, #ARGV do keep[ARGV[i]] = (keep[ARGV[i]] or 0) + 1 end
local kept, back = {}, {}
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if (keep[item] or 0) > 0 then
    keep[item] = keep[item] - 1
    table.insert(kept, item)
  else
    table.insert(back, item)
  end
end
if #back == 0 then return 0 end
redis.call('DEL', KEYS[1])
for _, item in ipairs(kept) do redis.call('RPUSH', KEYS[1], item) end
for i = #back, 1, -1 do redis.call('LPUSH', KEYS[2], back[i]) end
return #back
