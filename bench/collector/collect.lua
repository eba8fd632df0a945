-- wrk script: tracker batches with unique event ids, realistic sessions and campaigns.
-- Environment: MODE (`collect`, or `noop` for GET /healthz, the HTTP ceiling), SITE_KEY,
-- ORIGIN, EVENTS (events per request), RATE (requests/s of all connections together,
-- 0 = as fast as possible), SESSIONS (size of the pool of sessions; three sessions share a visitor),
-- COLLECT_PATH (where batches go, default /api/collect).
local mode = os.getenv("MODE") or "collect"
local site = os.getenv("SITE_KEY")
local origin = os.getenv("ORIGIN")
local per_request = tonumber(os.getenv("EVENTS") or "1")
local rate = tonumber(os.getenv("RATE") or "0")
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local pace = require("pace")
local pool = tonumber(os.getenv("SESSIONS") or "8000")
local path = os.getenv("COLLECT_PATH") or "/api/collect"
local counter = 0

local campaigns = {
  "?utm_source=google&utm_medium=cpc&utm_campaign=black-friday&gclid=",
  "?utm_source=facebook&utm_medium=paid_social&utm_campaign=remarketing&fbclid=",
  "?utm_source=tiktok&utm_medium=paid&utm_campaign=ugc&ttclid=",
  "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly&x=",
  "", "",
}
-- What Chromium's sendBeacon and fetch send: a response the server compresses would pay here.
local accept_encoding = "gzip, deflate, br, zstd"
local types = {"click", "scroll", "form_start", "video_play", "download", "custom"}
local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

function init(args)
  -- `thread_id` is the global `setup` gave this thread (a chunk-level local of the same
  -- name would shadow it: every thread then drew the same event ids, stored once).
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

local function uuid()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(template, "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  if mode == "noop" then
    return wrk.format("GET", "/healthz", {["Accept-Encoding"] = accept_encoding})
  end
  local n = math.random(1, pool)
  local session = string.format("s_bench%015d", n)
  local visitor = string.format("v_bench%015d", math.floor(n / 3))  -- three sessions per visitor
  local campaign = campaigns[(n % #campaigns) + 1]
  local url = origin .. "/lp" .. campaign .. (campaign ~= "" and tostring(n) or "")
  local now = os.time() * 1000
  local events = {}
  for i = 1, per_request do
    local kind = (i == 1) and "page_view" or types[math.random(1, #types)]
    local extra = ""
    if kind == "page_view" then
      extra = ',"referrer":"https://www.google.com/","title":"Oferta","view_id":"pv' .. i .. '"'
    else
      extra = ',"label":"cta-' .. i .. '","value":' .. math.random(1, 100)
    end
    events[i] = string.format('{"event_id":"%s","type":"%s","ts":%d,"url":"%s"%s}',
      uuid(), kind, now, url, extra)
  end
  local body = string.format(
    '{"site":"%s","visitor_id":"%s","session_id":"%s","context":{"screen":"1920x1080","language":"pt-BR"},"events":[%s]}',
    site, visitor, session, table.concat(events, ","))
  return wrk.format("POST", path, {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["Origin"] = origin,
    ["User-Agent"] = agents[(n % #agents) + 1],
    ["Accept-Encoding"] = accept_encoding,
  }, body)
end

-- Paced (bench/pace.lua) when RATE is set; otherwise closed loop.
if rate > 0 then
  delay = pace.pacer(rate)
end

done = require("result").done
