/**
 * The Lua scripts of the Redis job store (`redis-job-store.ts`). BullMQ queues the job ids and
 * gives each to one worker at a time (re-giving it when that worker's lock expires); the job's
 * record, request and result live in a hash of ours, `<prefix>:job:<id>`, which these scripts
 * change atomically, so the backlog and per-client counters stay exact whichever replica submits,
 * starts, cancels or finishes a job, and however often a job is started.
 *
 * Hash fields: model, version, client, created, callback (static); status, live (1 while the job
 * counts against its client), attempts, runner, started, finished, error (JSON), binary (1 when the result
 * has binary data), request, request_hl, result, result_hl. Counters: `<prefix>:queued`,
 * `<prefix>:client:<client>`.
 */

/** KEYS: queued counter, client counter, job hash. ARGV: maxQueued, maxPerClient, field, value, .... */
export const SUBMIT_SCRIPT = `
local q = tonumber(redis.call('GET', KEYS[1]) or '0')
if q >= tonumber(ARGV[1]) then return 1 end
local c = tonumber(redis.call('GET', KEYS[2]) or '0')
if c >= tonumber(ARGV[2]) then return 2 end
redis.call('INCR', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], unpack(ARGV, 3))
return 0
`;

/**
 * A worker took the job. KEYS: job hash, queued counter. ARGV: prefix, now (ms), runner.
 * Returns 'running' (go on), or the final status / 'gone' (skip it).
 */
export const START_SCRIPT = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'gone' end
if st == 'queued' then redis.call('DECR', KEYS[2]) end
if st == 'cancelled' or st == 'succeeded' or st == 'failed' then
  if redis.call('HGET', KEYS[1], 'live') == '1' then
    redis.call('HSET', KEYS[1], 'live', '0')
    redis.call('DECR', ARGV[1] .. ':client:' .. redis.call('HGET', KEYS[1], 'client'))
  end
  return st
end
redis.call('HSET', KEYS[1], 'status', 'running', 'started', ARGV[2], 'runner', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return 'running'
`;

/**
 * A run ended. KEYS: job hash. ARGV: prefix, status, now (ms), error JSON or '', ttl (s),
 * result or '', result header length or ''. Returns the final status ('' when the job was gone or
 * already final).
 */
export const FINISH_SCRIPT = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'succeeded' or st == 'failed' then return '' end
local final = ARGV[2]
if st == 'cancelled' then final = 'cancelled' end
redis.call('HSET', KEYS[1], 'status', final, 'finished', ARGV[3])
if final == 'succeeded' then
  redis.call('HSET', KEYS[1], 'result', ARGV[6], 'result_hl', ARGV[7], 'binary', ARGV[7] == '' and '0' or '1')
elseif st ~= 'cancelled' or not redis.call('HGET', KEYS[1], 'error') then
  redis.call('HSET', KEYS[1], 'error', ARGV[4])
end
redis.call('HDEL', KEYS[1], 'request')
if redis.call('HGET', KEYS[1], 'live') == '1' then
  redis.call('HSET', KEYS[1], 'live', '0')
  redis.call('DECR', ARGV[1] .. ':client:' .. redis.call('HGET', KEYS[1], 'client'))
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return final
`;

/**
 * DELETE. KEYS: job hash, queued counter. ARGV: prefix, now (ms), ttl (s), queued error JSON,
 * running error JSON. Returns 'queued' (it was queued: now cancelled and final), 'running' (it
 * runs somewhere: marked cancelled, its runner must be told), the final status, or 'gone'.
 */
export const CANCEL_SCRIPT = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'gone' end
if st == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished', ARGV[2], 'error', ARGV[4], 'live', '0')
  redis.call('HDEL', KEYS[1], 'request')
  redis.call('DECR', KEYS[2])
  redis.call('DECR', ARGV[1] .. ':client:' .. redis.call('HGET', KEYS[1], 'client'))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 'queued'
end
if st == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'error', ARGV[5])
  return 'running'
end
return st
`;
