-- wrk script: landing-page form submissions, each a new person (unique e-mail and phone),
-- most of them from a tracked session of the pool the benchmark stored beforehand.
-- Environment: SITE_KEY, ORIGIN, SESSIONS (pool size), RATE (requests/s of all connections
-- together, 0 = as fast as possible).
local site = os.getenv("SITE_KEY")
local origin = os.getenv("ORIGIN")
local pool = tonumber(os.getenv("SESSIONS") or "2000")
local rate = tonumber(os.getenv("RATE") or "0")
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local pace = require("pace")
local counter = 0
local thread_id = 0
local sent = 0

local domains = {"empresa.com.br", "gmail.com", "corp.example.com", "hotmail.com", "loja.com.br"}
local campaigns = {"black-friday", "remarketing", "ugc", "weekly", ""}

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
end

function request()
  sent = sent + 1
  local n = math.random(1, pool)
  local who = string.format("%d%d%06d", os.time(), thread_id, sent) .. math.random(1000, 9999)
  local session = string.format("s_bench%015d", n)
  local visitor = string.format("v_bench%015d", n)
  if n % 10 == 0 then session = "" end  -- one in ten without a tracked session
  local body = string.format(
    '{"site":"%s","name":"Pessoa %s","email":"lead%s@%s","phone":"+55119%d","company":"Empresa %d","message":"Quero saber mais","form_location":"lp-hero","page_url":"%s/lp","rastro_session_id":"%s","rastro_visitor_id":"%s","utm_source":"google","utm_campaign":"%s"}',
    site, who, who, domains[(n % #domains) + 1], math.random(80000000, 99999999), n % 50,
    origin, session, visitor, campaigns[(n % #campaigns) + 1])
  return wrk.format("POST", "/api/leads", {
    ["Content-Type"] = "application/json",
    ["Origin"] = origin,
  }, body)
end

-- Paced (bench/pace.lua) when RATE is set; otherwise closed loop.
if rate > 0 then
  delay = pace.pacer(rate)
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"errors_status":%d,"errors_socket":%d,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
