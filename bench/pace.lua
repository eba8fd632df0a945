-- Pacing shared by the wrk scripts. `pacer(rate)` returns a `delay()` that spaces the
-- requests of this wrk thread's connections so that together they go out at `rate`
-- requests/s: each call takes the next slot of a fixed schedule (slots missed while every
-- connection was busy are dropped, not caught up in a burst). A fixed pause after each
-- response instead would lower the rate as the latency grows.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local M = {}

function M.pacer(rate)
  if rate <= 0 then
    return nil
  end
  local interval = 1000 / rate
  local next_slot = nil
  return function()
    local t = now_ms()
    if next_slot == nil or next_slot < t then
      next_slot = t
    end
    local wait = next_slot - t
    next_slot = next_slot + interval
    return math.floor(wait)
  end
end

return M
