-- wrk script: GET one path as a phone's browser would (PAGE; /healthz when unset, the
-- HTTP ceiling), printing the same RESULT line as the collector's script.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local path = os.getenv("PAGE") or "/healthz"
local headers = {
  ["Accept"] = "text/html,application/xhtml+xml",
  ["Accept-Encoding"] = "gzip, deflate, br, zstd",
  ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
}

-- COOKIE: the tracker's session id, as a returning visitor's browser sends it.
if os.getenv("COOKIE") then
  headers["Cookie"] = "_rastro_s=" .. os.getenv("COOKIE")
end

function request()
  return wrk.format("GET", path, headers)
end

done = require("result").done
