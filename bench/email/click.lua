-- wrk script: click redirects `/e/c/{token}` of many messages, the paths read from
-- PATHS (a file, one path a line, written by bench/email/click.py); PAGE set instead
-- gets that one path (the /healthz ceiling). RATE: requests/s of all connections
-- together (bench/pace.lua; 0 = as fast as possible).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local pace = require("pace")
local rate = tonumber(os.getenv("RATE") or "0")
local single = os.getenv("PAGE")
local paths = {}
local next_path = 0
local headers = {
  ["Accept"] = "text/html,application/xhtml+xml",
  ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
}

function init(args)
  if single == nil then
    for line in io.lines(os.getenv("PATHS")) do
      paths[#paths + 1] = line
    end
  end
end

function request()
  if single ~= nil then
    return wrk.format("GET", single, headers)
  end
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path], headers)
end

if rate > 0 then
  delay = pace.pacer(rate)
end

done = require("result").done
