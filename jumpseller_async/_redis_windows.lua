-- One store's rate-limit windows in Redis: the same rule as _windows.MemoryWindowBackend,
-- applied atomically (a script runs alone), on Redis's own clock (TIME), so any number of
-- processes and machines share one exact budget.
--
-- KEYS[1] is the store's key prefix (with a {hash tag}); every key below starts with it.
-- ARGV[1] is the command; the rest depends on it. Times are integer milliseconds.
-- Windows come as a flat list: window_ms, initial_limit, ceiling (0 = none), learn (0/1).

local P = KEYS[1]
local cmd = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local S = P .. 'state'
local INFLIGHT, LEASE, COUNTS, ENDS = P .. 'inflight', P .. 'lease', P .. 'counts', P .. 'ends'
local WAITERS, SEEN, EVENTS = P .. 'waiters', P .. 'seen', P .. 'events'
local RAISE_FLOOR, RAISE_CEILING = 60000, 3600000

local function num(v, default)
  if v == false or v == nil then return default end
  return tonumber(v) or default
end

local function windows(first)
  local list = {}
  local n = tonumber(ARGV[first])
  for i = 0, n - 1 do
    local b = first + 1 + i * 4
    list[#list + 1] = {
      w = tonumber(ARGV[b]), initial = tonumber(ARGV[b + 1]),
      ceiling = tonumber(ARGV[b + 2]), learn = ARGV[b + 3] == '1'
    }
  end
  return list, first + 1 + n * 4
end

local function limit_of(win)
  local key = 'limit:' .. win.w
  local n = num(redis.call('HGET', S, key), nil)
  if n == nil then
    n = win.initial
    redis.call('HSET', S, key, n)
    if win.learn then redis.call('HSETNX', S, 'gated:' .. win.w, 1) end
  end
  if win.ceiling > 0 and n > win.ceiling then n = win.ceiling end
  return n
end

local function set_limit(w, n) redis.call('HSET', S, 'limit:' .. w, n) end

local function clear_probes(handle, wins)
  for _, win in ipairs(wins) do redis.call('SREM', P .. 'probes:' .. win.w, handle) end
end

-- Requests allowed in flight above a gated window's proven count: half of it (slow start),
-- or one at a time once the window has been refused.
local function allowance(w)
  if redis.call('HGET', S, 'cap:' .. w) then return 1 end
  return math.max(1, math.floor(num(redis.call('HGET', S, 'proven:' .. w), 0) / 2))
end

local function phantom_blocks(w, at)
  local key = P .. 'ph:' .. w
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local raw = redis.call('ZRANGEBYSCORE', key, '(' .. at, '+inf', 'WITHSCORES')
  local blocks, total = {}, 0
  for i = 1, #raw, 2 do
    local c = tonumber(string.match(raw[i], ':(%d+)$'))
    blocks[#blocks + 1] = {tonumber(raw[i + 1]), c}
    total = total + c
  end
  return blocks, total
end

local function add_phantoms(w, count, duration, uid, limit)
  if count <= 0 then return end
  if count > limit then count = limit end
  local key = P .. 'ph:' .. w
  redis.call('ZADD', key, now + duration, uid .. ':' .. count)
  -- Keep at most `limit` placeholders: the latest-expiring ones fill the window by themselves.
  local blocks, total = phantom_blocks(w, now)
  local excess = total - limit
  local raw = redis.call('ZRANGE', key, 0, -1)
  local i = 1
  while excess > 0 and raw[i] do
    local c = tonumber(string.match(raw[i], ':(%d+)$'))
    redis.call('ZREM', key, raw[i])
    if c > excess then
      local prefix = string.match(raw[i], '^(.*):%d+$')
      redis.call('ZADD', key, blocks[i][1], prefix .. ':' .. (c - excess))
      excess = 0
    else
      excess = excess - c
    end
    i = i + 1
  end
  redis.call('PEXPIRE', key, duration + 60000)
end

local function count_at(w, at)
  local inflight = redis.call('ZCARD', INFLIGHT)
  local recent = redis.call('ZCOUNT', ENDS, '(' .. (at - w), '+inf')
  local _, ph = phantom_blocks(w, at)
  return inflight + recent + ph
end

local function expire_all(wins, ttl)
  for _, k in ipairs({S, INFLIGHT, LEASE, COUNTS, ENDS, WAITERS, SEEN}) do
    redis.call('PEXPIRE', k, ttl)
  end
end

local function expire_leases(wins)
  local dead = redis.call('ZRANGEBYSCORE', LEASE, '-inf', now, 'WITHSCORES')
  for i = 1, #dead, 2 do
    -- A crashed process's request: it counts as ended when its lease ran out.
    local h = dead[i]
    redis.call('ZREM', INFLIGHT, h)
    redis.call('HDEL', COUNTS, h)
    redis.call('ZADD', ENDS, tonumber(dead[i + 1]), h)
    clear_probes(h, wins)
  end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', LEASE, '-inf', now) end
end

local function creep_up(win, n)
  local due = num(redis.call('HGET', S, 'raise_at:' .. win.w), nil)
  if due == nil or now < due then return n end
  local cap = num(redis.call('HGET', S, 'cap:' .. win.w), n)
  if n >= cap then
    redis.call('HDEL', S, 'raise_at:' .. win.w)
    return n
  end
  set_limit(win.w, n + 1)
  redis.call('HSET', S, 'raise_at:' .. win.w, now + num(redis.call('HGET', S, 'every:' .. win.w), RAISE_FLOOR))
  return n + 1
end

-- Seconds (ms) until the window has room for `needed` more expiries, or -1 for "a completion".
local function opening(win, needed)
  local ends = redis.call('ZRANGEBYSCORE', ENDS, '(' .. (now - win.w), '+inf', 'WITHSCORES')
  local blocks = phantom_blocks(win.w, now)
  local i, j, freed = 2, 1, 0
  while true do
    local e = ends[i] and (tonumber(ends[i]) + win.w) or nil
    local b = blocks[j]
    local at, c
    if e ~= nil and (b == nil or e <= b[1]) then at, c, i = e, 1, i + 2
    elseif b ~= nil then at, c, j = b[1], b[2], j + 1
    else return -1 end
    freed = freed + c
    if freed >= needed then return math.max(1, at - now) end
  end
end

if cmd == 'reserve' then
  -- ARGV: handle, waiter, lease_ms, stale_ms, windows...
  local handle, waiter = ARGV[2], ARGV[3]
  local lease, stale = tonumber(ARGV[4]), tonumber(ARGV[5])
  local wins = windows(6)
  expire_leases(wins)
  -- Waiters that stopped asking (a crashed or cancelled process) leave the queue.
  local gone = {}
  for _, pair in ipairs(redis.call('HGETALL', SEEN)) do gone[#gone + 1] = pair end
  for i = 1, #gone, 2 do
    if tonumber(gone[i + 1]) < now then
      redis.call('ZREM', WAITERS, gone[i]); redis.call('HDEL', SEEN, gone[i])
    end
  end
  local horizon, limits = 0, {}
  for _, win in ipairs(wins) do
    if win.w > horizon then horizon = win.w end
  end
  local function queue(wait_ms, paused)
    if redis.call('ZSCORE', WAITERS, waiter) == false then redis.call('ZADD', WAITERS, now, waiter) end
    redis.call('HSET', SEEN, waiter, now + stale)
    -- Waiting on completions only: a lease running out (a crashed process) also frees room.
    local first_lease = redis.call('ZRANGE', LEASE, 0, 0, 'WITHSCORES')
    local lease_ms = -1
    if first_lease[2] then lease_ms = math.max(1, tonumber(first_lease[2]) - now) end
    return {0, wait_ms, paused, now, redis.call('HGET', S, 'banned') or '', lease_ms}
  end
  local paused = num(redis.call('HGET', S, 'paused'), 0)
  if paused > now then return queue(paused - now, 1) end
  local oldest = redis.call('ZRANGE', INFLIGHT, 0, 0, 'WITHSCORES')
  local cutoff = now
  if oldest[2] and tonumber(oldest[2]) < cutoff then cutoff = tonumber(oldest[2]) end
  redis.call('ZREMRANGEBYSCORE', ENDS, '-inf', cutoff - horizon)
  local inflight = redis.call('ZCARD', INFLIGHT)
  local mine = redis.call('ZSCORE', WAITERS, waiter)
  local ahead
  if mine then ahead = redis.call('ZCOUNT', WAITERS, '-inf', '(' .. mine)
  else ahead = redis.call('ZCARD', WAITERS) end
  local wait, counts = 0, {}
  for k, win in ipairs(wins) do
    local n = creep_up(win, limit_of(win))
    limits[#limits + 1] = n
    local _, ph = phantom_blocks(win.w, now)
    local occupied = inflight + redis.call('ZCOUNT', ENDS, '(' .. (now - win.w), '+inf') + ph
    counts[k] = occupied + 1
    local w = 0
    if occupied + ahead >= n then
      w = opening(win, occupied + ahead - n + 1)
    elseif redis.call('HGET', S, 'gated:' .. win.w)
        and occupied + 1 > num(redis.call('HGET', S, 'proven:' .. win.w), 0)
        and redis.call('SCARD', P .. 'probes:' .. win.w) >= allowance(win.w) then
      w = -1  -- enough probes above the proven count in flight
    end
    if w == -1 or wait == -1 then wait = -1 elseif w > wait then wait = w end
  end
  if wait ~= 0 then return queue(wait, 0) end
  redis.call('ZADD', INFLIGHT, now, handle)
  redis.call('ZADD', LEASE, now + lease, handle)
  redis.call('HSET', COUNTS, handle, table.concat(counts, ','))
  for k, win in ipairs(wins) do
    if redis.call('HGET', S, 'gated:' .. win.w)
        and counts[k] > num(redis.call('HGET', S, 'proven:' .. win.w), 0) then
      redis.call('SADD', P .. 'probes:' .. win.w, handle)
      redis.call('PEXPIRE', P .. 'probes:' .. win.w, lease + 60000)
    end
  end
  redis.call('ZREM', WAITERS, waiter)
  redis.call('HDEL', SEEN, waiter)
  expire_all(wins, horizon + lease + 60000)
  -- Only when a younger process waits behind this one: its turn may have come.
  if redis.call('ZCARD', WAITERS) > 0 then redis.call('PUBLISH', EVENTS, 'admitted') end
  return {1, 0, 0, now, table.concat(limits, ','), -1}

elseif cmd == 'complete' then
  -- ARGV: handle, accepted (1: processed, 0: refused, -1: unknown), windows...
  local handle, accepted = ARGV[2], ARGV[3]
  local wins = windows(4)
  if redis.call('ZREM', INFLIGHT, handle) == 0 then return 0 end
  redis.call('ZREM', LEASE, handle)
  redis.call('ZADD', ENDS, now, handle)
  local counts = redis.call('HGET', COUNTS, handle)
  if accepted == '1' and counts then
    local k = 1
    for c in string.gmatch(counts, '%d+') do
      local win = wins[k]
      if win and tonumber(c) > num(redis.call('HGET', S, 'proven:' .. win.w), 0) then
        redis.call('HSET', S, 'proven:' .. win.w, c)
      end
      k = k + 1
    end
  end
  redis.call('HDEL', COUNTS, handle)
  clear_probes(handle, wins)
  redis.call('PUBLISH', EVENTS, 'completed')
  return 1

elseif cmd == 'release' then
  -- ARGV: handle, windows...
  local handle = ARGV[2]
  local wins = windows(3)
  redis.call('ZREM', INFLIGHT, handle)
  redis.call('ZREM', LEASE, handle)
  redis.call('HDEL', COUNTS, handle)
  clear_probes(handle, wins)
  redis.call('PUBLISH', EVENTS, 'released')
  return 1

elseif cmd == 'observe' then
  -- ARGV: sent_at_ms, uid, windows..., then per window: advertised limit, remaining (-1: none)
  local at, uid = tonumber(ARGV[2]), ARGV[3]
  local wins, rest = windows(4)
  local missing_total = {}
  for k, win in ipairs(wins) do
    local advertised = tonumber(ARGV[rest + (k - 1) * 2])
    local remaining = tonumber(ARGV[rest + (k - 1) * 2 + 1])
    local n = limit_of(win)
    if advertised > 0 then
      n = advertised
      if win.ceiling > 0 and n > win.ceiling then n = win.ceiling end
      set_limit(win.w, n)
      -- With headers, believe them: no probing, no creeping.
      redis.call('HDEL', S, 'gated:' .. win.w, 'raise_at:' .. win.w, 'cap:' .. win.w)
      redis.call('DEL', P .. 'probes:' .. win.w)
    end
    local missing = 0
    if remaining >= 0 then
      if at > now then at = now end
      missing = (n - count_at(win.w, at)) - remaining
      if missing > 0 then add_phantoms(win.w, missing, win.w, uid .. ':' .. k, n) end
    end
    missing_total[k] = math.max(missing, 0)
  end
  redis.call('PUBLISH', EVENTS, 'observed')
  return missing_total

elseif cmd == 'fill' then
  -- ARGV: uid, windows..., then per window: placeholder count (0: leave), duration_ms
  local uid = ARGV[2]
  local wins, rest = windows(3)
  for k, win in ipairs(wins) do
    local c = tonumber(ARGV[rest + (k - 1) * 2])
    local duration = tonumber(ARGV[rest + (k - 1) * 2 + 1])
    if c > 0 then add_phantoms(win.w, c, duration, uid .. ':' .. k, limit_of(win)) end
  end
  redis.call('PUBLISH', EVENTS, 'filled')
  return 1

elseif cmd == 'learn' then
  -- A header-less refusal (see MemoryWindowBackend.learn_refusal). ARGV: handle, windows...
  -- Answers {1, window, old, new} (lowered), {2} (an earlier lesson covers it), {0} (unexplained).
  local handle = ARGV[2]
  local wins = windows(3)
  local admitted = redis.call('ZSCORE', INFLIGHT, handle)
  local counts = redis.call('HGET', COUNTS, handle)
  if not admitted or not counts then return {0} end
  if tonumber(admitted) < num(redis.call('HGET', S, 'last_lowering'), -1) then return {2} end
  local all, candidates, k = {}, {}, 1
  for c in string.gmatch(counts, '%d+') do
    local win = wins[k]
    if win then
      local entry = {win = win, c = tonumber(c), n = limit_of(win)}
      all[#all + 1] = entry
      if entry.c > num(redis.call('HGET', S, 'proven:' .. win.w), 0) then
        candidates[#candidates + 1] = entry
      end
    end
    k = k + 1
  end
  if #candidates == 0 then candidates = all end
  table.sort(candidates, function(a, b) return a.win.w < b.win.w end)
  for _, e in ipairs(candidates) do
    local w = e.win.w
    local recent = num(redis.call('HGET', S, 'lowered_at:' .. w), nil)
    local new = math.max(1, e.c - 1)
    if (recent == nil or now - recent >= 2 * w) and new < e.n then
      redis.call('HSET', S, 'gated:' .. w, 1)
      local proven = num(redis.call('HGET', S, 'proven:' .. w), 0)
      if proven > new then redis.call('HSET', S, 'proven:' .. w, new) end
      local every = num(redis.call('HGET', S, 'every:' .. w), nil)
      if redis.call('HGET', S, 'cap:' .. w) and every then
        every = math.min(RAISE_CEILING, every * 2)
      else
        every = math.max(RAISE_FLOOR, 10 * w)
      end
      redis.call('HSET', S, 'every:' .. w, every, 'raise_at:' .. w, now + every)
      redis.call('HSET', S, 'cap:' .. w, math.max(num(redis.call('HGET', S, 'cap:' .. w), 0), e.n))
      redis.call('HSET', S, 'lowered_at:' .. w, now, 'last_lowering', now)
      set_limit(w, new)
      redis.call('PUBLISH', EVENTS, 'lowered')
      return {1, w, e.n, new}
    end
  end
  return {0}

elseif cmd == 'pause' then
  -- ARGV: milliseconds, banned-until (ISO-8601 or '')
  local until_ms = now + tonumber(ARGV[2])
  if until_ms > num(redis.call('HGET', S, 'paused'), 0) then
    redis.call('HSET', S, 'paused', until_ms)
    if ARGV[3] ~= '' then redis.call('HSET', S, 'banned', ARGV[3]) end
  end
  redis.call('PEXPIRE', S, tonumber(ARGV[2]) + 3600000)
  redis.call('PUBLISH', EVENTS, 'paused')
  return 1

elseif cmd == 'forget' then
  -- Leave the waiting queue. ARGV: waiter
  redis.call('ZREM', WAITERS, ARGV[2])
  redis.call('HDEL', SEEN, ARGV[2])
  redis.call('PUBLISH', EVENTS, 'left')
  return 1
end
return redis.error_reply('unknown command ' .. tostring(cmd))
