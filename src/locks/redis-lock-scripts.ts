// Lua for the Redis lock store. Each operation is one script, so a check and the write that
// depends on it can never interleave with another worker (Atlantis checks-then-sets; we do not).
//
// Layout, per repository (BASE = `<prefix>:locks:{owner/repo}`):
//   BASE:lock:<project>     hash  pull, since, [headSha], [author]   the lock itself
//   BASE:held               set   projects with a lock               listForRepo / releaseAll
//   BASE:waiters:<project>  list  PRs refused, in order               replanned on release
//   BASE:waiting            set   projects with a non-empty list      releaseAll
// The `{owner/repo}` hash tag puts every key of a repository in one Redis Cluster slot, which is
// what lets releaseAll and listForRepo reach the per-project keys they build from BASE.
// Absent optional fields travel as "" and are not stored.

/** KEYS: lock, held, waiters, waiting. ARGV: project, pull, since, headSha, author. */
export const ACQUIRE = `
local current = redis.call('HGET', KEYS[1], 'pull')
if not current then
  local fields = {'pull', ARGV[2], 'since', ARGV[3]}
  if ARGV[4] ~= '' then fields[#fields + 1] = 'headSha'; fields[#fields + 1] = ARGV[4] end
  if ARGV[5] ~= '' then fields[#fields + 1] = 'author'; fields[#fields + 1] = ARGV[5] end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('LREM', KEYS[3], 0, ARGV[2])
  if redis.call('LLEN', KEYS[3]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
  return {1, 0}
end
if current == ARGV[2] then
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'headSha', ARGV[4]) end
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'author', ARGV[5]) end
  return {1, 1}
end
if not redis.call('LPOS', KEYS[3], ARGV[2]) then
  redis.call('RPUSH', KEYS[3], ARGV[2])
  redis.call('SADD', KEYS[4], ARGV[1])
end
return {0, redis.call('HGETALL', KEYS[1])}
`;

/** KEYS: lock, held. ARGV: project, pull. Compare-and-delete on the holder's PR number. */
export const RELEASE = `
if redis.call('HGET', KEYS[1], 'pull') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: held, waiting. ARGV: base, pull. */
export const RELEASE_ALL = `
local released = {}
for _, project in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. ':lock:' .. project
  local pull = redis.call('HGET', key, 'pull')
  if pull == ARGV[2] then
    redis.call('DEL', key)
    redis.call('SREM', KEYS[1], project)
    released[#released + 1] = project
  elseif not pull then
    redis.call('SREM', KEYS[1], project)
  end
end
for _, project in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[1] .. ':waiters:' .. project
  redis.call('LREM', key, 0, ARGV[2])
  if redis.call('LLEN', key) == 0 then redis.call('SREM', KEYS[2], project) end
end
return released
`;

/** KEYS: held. ARGV: base. Returns {project, {field, value, ...}, ...}. */
export const LIST = `
local out = {}
for _, project in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HGETALL', ARGV[1] .. ':lock:' .. project)
  if #fields > 0 then
    out[#out + 1] = project
    out[#out + 1] = fields
  end
end
return out
`;

/** KEYS: lock, waiters, waiting. ARGV: project, pull. */
export const ADD_WAITER = `
if redis.call('HGET', KEYS[1], 'pull') == ARGV[2] then return 0 end
if redis.call('LPOS', KEYS[2], ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
`;

/** KEYS: waiters, waiting. ARGV: project. */
export const TAKE_WAITERS = `
local waiting = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return waiting
`;
