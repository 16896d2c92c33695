"""The rate buckets' rule as one Lua script for Redis: ``connectors.ratelimit.Bucket`` line for
line (the same tests run on both), on Redis's clock, a bucket being one hash:

``n``, ``lo``, ``last``, ``hold``, ``top``, ``tlo`` as in ``Bucket``; ``r<seq>`` an open
call's record "state grant deadline answered"; ``t<seq>`` the latest answer up to call ``seq``
(settled calls, the last ``requests`` of them). The key expires once every call it holds has
answered or run out its lease, and a window more.
"""

SCRIPT = """
local key = KEYS[1]
local q = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local op = ARGV[3]  -- reserve, instant, confirm, done, cancel, defer, peek
local arg = tonumber(ARGV[4])  -- max wait, seq, or the hold in seconds
local lease = tonumber(ARGV[5])
local answered = tonumber(ARGV[6] or '-1')  -- reserve: the caller's held answer on this bucket
local tm = redis.call('TIME')
local now = tonumber(tm[1]) + tonumber(tm[2]) / 1000000
local kind = redis.call('TYPE', key)['ok']
if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', key) end  -- an older layout

local function num(field)
  local v = redis.call('HGET', key, field)
  if v then return tonumber(v) end
  return 0
end
local n, lo, last, hold, top = num('n'), num('lo'), num('last'), num('hold'), num('top')
local tlo = num('tlo')

local function rec(seq)
  local v = redis.call('HGET', key, 'r' .. seq)
  if not v then return nil end
  local state, grant, deadline, answered = string.match(v, '^(%a) (%S+) (%S+) (%S+)$')
  return {state, tonumber(grant), tonumber(deadline), tonumber(answered)}
end
local function put(seq, state, grant, deadline, answered)
  redis.call('HSET', key, 'r' .. seq,
    string.format('%s %.6f %.6f %.6f', state, grant, deadline, answered))
end

local function settle()
  while lo < n do
    local r = rec(lo) or {'d', 0, now, now}
    local state, deadline = r[1], r[3]
    if state == 'd' then
      if r[4] > top then top = r[4] end
    elseif state == 's' and deadline <= now then
      if deadline > top then top = deadline end
    elseif state ~= 'x' and deadline > now then
      break
    end
    redis.call('HSET', key, 't' .. lo, string.format('%.6f', top))
    redis.call('HDEL', key, 'r' .. lo, 't' .. (lo - q))
    if lo - q + 1 > tlo then tlo = lo - q + 1 end
    lo = lo + 1
  end
end

local function bound(m)
  local j = m - q
  if j < 0 then return true, 0 end
  if j < lo then
    local t = redis.call('HGET', key, 't' .. math.max(j, tlo))
    return true, (t and tonumber(t) or top) + window
  end
  local r = rec(j)
  local grant = r and r[2] or now
  if grant < now then grant = now end
  return false, grant + window
end

local function save(extra)
  redis.call('HSET', key, 'n', n, 'lo', lo, 'tlo', tlo, 'last', string.format('%.6f', last),
    'hold', string.format('%.6f', hold), 'top', string.format('%.6f', top))
  local horizon = math.max(last, hold, now + extra)
  local ms = math.ceil((horizon - now + lease + window) * 1000) + 1000
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end

local function reserve()
  local final, at = bound(n)
  local grant = math.max(now, last, hold, at)
  if grant - now > arg then return {0, tostring(grant - now), -1, 0}, 0 end
  local state = 'w'
  if op == 'instant' then state = 'd' elseif final then state = 's' end
  put(n, state, grant, grant + lease, grant)
  n = n + 1
  last = grant
  return {1, tostring(grant - now), n - 1, final and 1 or 0}, 0
end

local function confirm()
  local r = rec(arg)
  if not r or r[1] == 'x' then return {0, '0', arg, 0}, 0 end
  if r[1] ~= 'w' then return {1, '0', arg, 1}, 0 end
  local final, at = bound(arg)
  if final and at <= now then
    put(arg, 's', r[2], now + lease, 0)
    return {1, '0', arg, 1}, 0
  end
  local wait = window
  if final then wait = at - now end
  put(arg, 'w', r[2], now + wait + lease, 0)
  return {0, tostring(wait), arg, 1}, wait
end

local function finish(seq, state)
  local r = rec(seq)
  if r and (r[1] == 'w' or (r[1] == 's' and state == 'd')) then
    put(seq, state, r[2], r[3], now)
  end
  return {1, '0', seq, 1}, 0
end

local function peek()
  if math.max(last, hold) > now then return {1, '0', 0, 1}, 0 end
  local free = 0
  while free < q do
    local final, at = bound(n + free)
    if not final or at > now then break end
    free = free + 1
  end
  return {1, '0', free, 1}, 0
end

settle()
local reply, extra
if op == 'reserve' or op == 'instant' then
  if answered >= 0 then  -- as 'done' then 'reserve' at one instant
    finish(answered, 'd')
    settle()
  end
  reply, extra = reserve()
elseif op == 'confirm' then
  reply, extra = confirm()
elseif op == 'done' then
  reply, extra = finish(arg, 'd')
elseif op == 'cancel' then
  reply, extra = finish(arg, 'x')
elseif op == 'defer' then
  if now + arg > hold then hold = now + arg end
  reply, extra = {1, '0', -1, 1}, 0
else
  reply, extra = peek()
end
settle()
save(extra)
return reply
"""
