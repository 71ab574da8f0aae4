-- A fixed GET (liveness, /flags/, /environment-document/): the URL and any
-- X-Environment-Key header come from wrk's command line; this only reports.
dofile("report.lua")
