-- wrk script for `POST /v1/trackers` with a new sandbox number every request (bench-scale.sh,
-- bench-trackers.sh). Environment: SHIPHUB_KEY (API key), SHIPHUB_ACCOUNT (sandbox account).
-- Sandbox numbers: SB, scenario 0, 10-digit ship time, 4-digit slot, Luhn check digit.
local key = os.getenv("SHIPHUB_KEY")
local account = os.getenv("SHIPHUB_ACCOUNT")
local counter = 0
local base = os.time() - 86400
threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local function luhn(s)
  local sum = 0
  for i = #s, 1, -1 do
    local d = tonumber(s:sub(i, i))
    if (#s - i) % 2 == 0 then d = d * 2; d = math.floor(d / 10) + d % 10 end
    sum = sum + d
  end
  return (10 - sum % 10) % 10
end
function request()
  counter = counter + 1
  local payload = string.format("0%010d%04d", base - tid * 100000 - math.floor(counter / 10000), counter % 10000)
  local body = '{"tracking_number":"SB' .. payload .. luhn(payload) .. '","carrier_account":"' .. account .. '"}'
  return wrk.format("POST", "/v1/trackers", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
