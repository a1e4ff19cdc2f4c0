-- wrk script: POST a CDS Hooks patient-view request (bench/cds_request.py's
-- output, in the file WILLIS_CDS_REQUEST) to the service.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("WILLIS_CDS_REQUEST"), "r"))
wrk.body = f:read("*a")
f:close()
