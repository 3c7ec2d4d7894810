-- A key's own request limit (token bucket: requests a second, burst), overriding the server's
-- `--key-rate`/`--key-burst` defaults; NULL = the defaults, a rate of 0 = no limit.
ALTER TABLE api_keys ADD COLUMN rate_limit BIGINT;
ALTER TABLE api_keys ADD COLUMN rate_burst BIGINT;
