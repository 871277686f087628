-- wrk script: the seed dynamic-action callback, as Divar sends it, with
-- the identification key of bench (bench.Key); wrk counts any answer but
-- 2xx or 3xx ("Non-2xx or 3xx responses"). bench/e2e runs it:
--   wrk -t1 -c16 -d5s -s bench/wrk/dynamic.lua http://127.0.0.1:PORT/divar/dynamic-action
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "bench-identification-key"
wrk.body = '{"touchpoint":"CHAT","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"SUPPLY","extra_data":{"your_key_1":"your value","your_key_2":"your value"}}'
