-- wrk script: POST a typical record to /api/v1/assess.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("WILLIS_RECORD"), "r"))
wrk.body = f:read("*a")
f:close()
