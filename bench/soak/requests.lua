-- wrk script for bench/soak.sh: sends a weighted mix of request kinds to a
-- pop router app, each kind with exactly one expected status, and counts the
-- responses per kind and status.
--
--   SOAK_MIX   which kinds, with weights: "good:4,healthz,not_json" (default:
--              every kind, good ones weighted 4). "good" alone gives the
--              good-only run whose latency the soak compares.
--   SOAK_JSON  where done() writes its counts as JSON (optional).
--   SOAK_LABEL a name for the run in the printed summary (optional).
--
-- wrk's Lua hooks do not say which connection a response came on, so a
-- thread can only tell which request a response answers when it has ONE
-- connection: with a mix of kinds, run wrk with as many threads as
-- connections (-t N -c N). A thread then alternates request() and
-- response() on its single connection, and `pending` is the kind of the one
-- request in flight. With a single kind any number of connections is fine.

local KINDS = {
  good = {
    method = "POST", path = "/", status = 200,
    body = '{"ref": "math.fib", "kwargs": {"num": 11}}',
    expect = '{"ref": 89}', exact = true,
  },
  good_get = {
    method = "GET", path = "/", status = 200,
    body = '{"ref": "math.fib", "kwargs": {"num": 90}}',
    expect = '{"ref": 2880067194370816120}', exact = true,
  },
  healthz = {
    method = "GET", path = "/healthz", status = 200,
    expect = '"ok"',
  },
  not_json = {
    method = "POST", path = "/", status = 400,
    body = 'this is { not JSON',
    expect = '"kind":"bad_request"',
  },
  unknown_ref = {
    method = "POST", path = "/", status = 404,
    body = '{"ref": "math.nope", "kwargs": {}}',
    expect = '"kind":"unknown_ref"',
  },
  bad_kwargs = {
    method = "POST", path = "/", status = 400,
    body = '{"ref": "math.fib", "kwargs": {"num": "eleven"}}',
    expect = '"kind":"bad_arguments"',
  },
  plugin_error = {
    method = "POST", path = "/", status = 500,
    body = '{"ref": "failing.oops"}',
    expect = '"kind":"plugin_error"',
  },
  panic = {
    method = "POST", path = "/", status = 500,
    body = '{"ref": "failing.boom"}',
    expect = '"kind":"panic"',
  },
  panic_blocking = {
    method = "POST", path = "/", status = 500,
    body = '{"ref": "failing.boom_blocking"}',
    expect = '"kind":"panic"',
  },
}

local DEFAULT_MIX = "good:4,good_get,healthz,not_json,unknown_ref,bad_kwargs,"
  .. "plugin_error,panic,panic_blocking"

-- "a:3,b" -> { {name="a", weight=3}, {name="b", weight=1} }
local function parse_mix(text)
  local mix = {}
  for item in string.gmatch(text, "[^,%s]+") do
    local name, weight = string.match(item, "^([%w_]+):?(%d*)$")
    if not name or not KINDS[name] then
      error("SOAK_MIX: unknown kind `" .. item .. "`")
    end
    table.insert(mix, { name = name, weight = tonumber(weight) or 1 })
  end
  assert(#mix > 0, "SOAK_MIX names no kind")
  return mix
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

-- ---------------------------------------------------------------- main state
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per thread (each thread has its own Lua state).
local sequence, requests = {}, {}
local position = 0
local pending = nil
local only = nil  -- the kind, when the mix has just one (any -c is fine then)
-- Flat tables only: wrk's thread:get() crashes on nested tables.
counts = {}       -- counts["kind status"] = n
unexpected = {}   -- unexpected[kind] = n (status other than the kind's one)
wrong_body = {}   -- wrong_body[kind] = n (right status, body not as expected)
orphans = 0       -- responses with no request in flight (should stay 0)

function init(args)
  local text = os.getenv("SOAK_MIX")
  if text == nil or text == "" then
    text = DEFAULT_MIX
  end
  local mix = parse_mix(text)
  for _, entry in ipairs(mix) do
    local kind = KINDS[entry.name]
    local headers = nil
    if kind.body then
      headers = { ["Content-Type"] = "application/json" }
    end
    requests[entry.name] = wrk.format(kind.method, kind.path, headers, kind.body)
    unexpected[entry.name], wrong_body[entry.name] = 0, 0
    for _ = 1, entry.weight do
      table.insert(sequence, entry.name)
    end
  end
  if #mix == 1 then
    only = mix[1].name
  end
  -- Threads start at different places in the cycle.
  position = (id or 0) % #sequence
end

function request()
  position = position % #sequence + 1
  pending = sequence[position]
  return requests[pending]
end

function response(status, headers, body)
  local name = only or pending
  pending = nil
  if not name then
    orphans = orphans + 1
    return
  end
  local kind = KINDS[name]
  local key = name .. " " .. status
  counts[key] = (counts[key] or 0) + 1
  if status ~= kind.status then
    unexpected[name] = unexpected[name] + 1
  elseif kind.expect then
    local ok
    if kind.exact then
      ok = body == kind.expect
    else
      ok = body ~= nil and string.find(body, kind.expect, 1, true) ~= nil
    end
    if not ok then
      wrong_body[name] = wrong_body[name] + 1
    end
  end
end

function done(summary, latency, _)
  local total_counts, total_unexpected, total_wrong = {}, {}, {}
  local total_orphans = 0
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts") or {}) do
      local name, status = string.match(key, "^(%S+) (%S+)$")
      total_counts[name] = total_counts[name] or {}
      total_counts[name][status] = (total_counts[name][status] or 0) + n
    end
    for name, n in pairs(thread:get("unexpected") or {}) do
      total_unexpected[name] = (total_unexpected[name] or 0) + n
    end
    for name, n in pairs(thread:get("wrong_body") or {}) do
      total_wrong[name] = (total_wrong[name] or 0) + n
    end
    total_orphans = total_orphans + (thread:get("orphans") or 0)
  end

  local names = {}
  for name in pairs(total_counts) do table.insert(names, name) end
  table.sort(names)

  local label = os.getenv("SOAK_LABEL") or "wrk"
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  local sum_unexpected, sum_wrong = 0, 0
  io.write(string.format("[%s] %d responses in %.1f s (%.0f/s); socket errors: "
    .. "connect %d, read %d, write %d, timeout %d\n", label, summary.requests,
    seconds, summary.requests / seconds, errors.connect, errors.read,
    errors.write, errors.timeout))
  local kinds_json = {}
  for _, name in ipairs(names) do
    local statuses, statuses_json = {}, {}
    local keys = {}
    for status in pairs(total_counts[name]) do table.insert(keys, status) end
    table.sort(keys)
    local served = 0
    for _, status in ipairs(keys) do
      local n = total_counts[name][status]
      served = served + n
      table.insert(statuses, status .. "=" .. n)
      table.insert(statuses_json, json_string(status) .. ": " .. n)
    end
    local bad, wrong = total_unexpected[name] or 0, total_wrong[name] or 0
    sum_unexpected, sum_wrong = sum_unexpected + bad, sum_wrong + wrong
    io.write(string.format("[%s]   %-15s expect %d: %s  unexpected %d, wrong body %d\n",
      label, name, KINDS[name].status, table.concat(statuses, " "), bad, wrong))
    table.insert(kinds_json, string.format(
      '%s: {"expected_status": %d, "served": %d, "statuses": {%s}, '
        .. '"unexpected": %d, "wrong_body": %d}',
      json_string(name), KINDS[name].status, served,
      table.concat(statuses_json, ", "), bad, wrong))
  end
  local p = function(q) return latency:percentile(q) / 1000 end
  io.write(string.format("[%s] latency ms: p50 %.2f  p90 %.2f  p99 %.2f  "
    .. "p99.9 %.2f  max %.2f\n", label, p(50), p(90), p(99), p(99.9), latency.max / 1000))

  local path = os.getenv("SOAK_JSON")
  if path and path ~= "" then
    local file = assert(io.open(path, "w"))
    file:write(string.format(
      '{"label": %s, "duration_s": %.3f, "responses": %d, "bytes": %d, '
        .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, '
        .. '"unexpected": %d, "wrong_body": %d, "orphans": %d, '
        .. '"latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "p99.9": %.3f, '
        .. '"max": %.3f, "mean": %.3f}, "kinds": {%s}}\n',
      json_string(label), seconds, summary.requests, summary.bytes,
      errors.connect, errors.read, errors.write, errors.timeout, errors.status,
      sum_unexpected, sum_wrong, total_orphans,
      p(50), p(90), p(99), p(99.9), latency.max / 1000, latency.mean / 1000,
      table.concat(kinds_json, ", ")))
    file:close()
  end
end
