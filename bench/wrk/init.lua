-- wrk script: the seed init callback, as Divar sends it, with the
-- identification key of bench (bench.Key); wrk counts any answer but 2xx
-- or 3xx ("Non-2xx or 3xx responses"). docs/BENCHMARKS.md runs it:
--   wrk -t2 -c16 -d10s -s bench/wrk/init.lua http://127.0.0.1:PORT/divar/open-server-link
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "bench-identification-key"
wrk.body = '{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","extra_data":{"your_key_1":"your value","your_key_2":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}'

