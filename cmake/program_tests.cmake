# The programs' tests: the CLI and bench contracts (flags, exit statuses, output shapes, the key
# never printed) and program_tests, which drives the programs and examples as processes.
# Included by the top-level CMakeLists.txt when both the programs and the tests are built.

# The programs' contracts (exit statuses, output shapes, the key never printed), checked
# against the embedded mock server. A test runs `sh -c SCRIPT sh EXIT MATCH NO_MATCH CMD...`:
# CMD's exit status must be EXIT, its stdout+stderr must match the extended regex MATCH and,
# when NO_MATCH is not empty, must not match NO_MATCH.
enable_testing()
set(talkory_cli_check [=[
exp=$1; re=$2; nre=$3; shift 3
out=$("$@" 2>&1); status=$?
printf '%s\n' "$out"
if [ "$status" -ne "$exp" ]; then echo "FAILED: exit status $status, expected $exp"; exit 1; fi
if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then echo "FAILED: no match for: $re"; exit 1; fi
if [ -n "$nre" ] && printf '%s\n' "$out" | grep -Eq -- "$nre"; then echo "FAILED: matched: $nre"; exit 1; fi
]=])
function(talkory_cli_test name exit_status match no_match)
  add_test(NAME cli.${name} COMMAND sh -c "${talkory_cli_check}" sh ${exit_status} "${match}"
                                    "${no_match}" ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES TIMEOUT 60)
endfunction()
set(cli_health $<TARGET_FILE:talkory-health>)
set(cli_bench $<TARGET_FILE:talkory-bench>)
set(cli_no_key env -u TALKORY_API_KEY -u TALKORY_BASE_URL)
# A key that must never show up in any output.
set(cli_secret_key env TALKORY_API_KEY=tk_live_SECRETSENTINEL0000000000000000)

talkory_cli_test(health_demo 0 "^gpt +ok$" "" ${cli_health} --demo)
talkory_cli_test(health_demo_json 0
                 "^\\{\"status\":\"ok\",\"checkedAt\":\"[0-9T:.-]+Z\",\"providers\":\\{\"gpt\":"
                 "" ${cli_health} --demo --json)
talkory_cli_test(health_demo_verbose 0 "attempts: 1" "tk_live_demo0{28}"
                 ${cli_health} --demo --verbose --timeout 10)
talkory_cli_test(health_help 0 "^usage: talkory-health" "" ${cli_health} --help)
talkory_cli_test(health_unknown_flag 64 "unknown option '--bogus'" "" ${cli_health} --bogus)
talkory_cli_test(health_missing_value 64 "'--timeout' needs a value" "" ${cli_health} --timeout)
talkory_cli_test(health_bad_timeout 64 "--timeout needs a number" "" ${cli_health} --timeout 0)
talkory_cli_test(health_junk_timeout 64 "--timeout needs a number" "" ${cli_health} --timeout 2s)
talkory_cli_test(health_positional 64 "unexpected argument" "" ${cli_health} extra)
talkory_cli_test(health_demo_with_url 64 "cannot be combined" "" ${cli_health} --demo --base-url
                 https://127.0.0.1:1)
talkory_cli_test(health_missing_key 2 "error: invalid_options" "" ${cli_no_key} ${cli_health})
talkory_cli_test(health_missing_key_hint 2 "set TALKORY_API_KEY" "" ${cli_no_key} ${cli_health})
talkory_cli_test(health_connection_refused 2 "error: connection_failed" "SECRETSENTINEL"
                 ${cli_secret_key} ${cli_health} --verbose --timeout 10 --base-url https://127.0.0.1:1)

# talkory-health --watch: usage and start-up contracts here; the event stream, signals and
# first-poll failures are driven as processes by test/programs (cli.watch, cli.examples).
talkory_cli_test(health_help_watch 0 "--interval SECONDS +time between polls in --watch mode" ""
                 ${cli_health} --help)
talkory_cli_test(watch_bad_interval 64 "--interval needs a number" "" ${cli_health} --watch
                 --interval 0)
talkory_cli_test(watch_junk_interval 64 "--interval needs a number" "" ${cli_health} --watch
                 --interval 1m)
talkory_cli_test(watch_interval_needs_watch 64 "--interval needs --watch" "" ${cli_health}
                 --interval 5)
talkory_cli_test(watch_interval_missing_value 64 "'--interval' needs a value" "" ${cli_health}
                 --watch --interval)
talkory_cli_test(watch_demo_with_url 64 "cannot be combined" "" ${cli_health} --watch --demo
                 --base-url https://127.0.0.1:1)
talkory_cli_test(watch_missing_key 2 "set TALKORY_API_KEY" "" ${cli_no_key}
                 ${cli_health} --watch)
talkory_cli_test(watch_missing_key_json 2 "^\\{\"event\":\"error\",\"observedAt\":\"[0-9T:.-]+Z\",\"error\":\\{\"code\":\"invalid_options\""
                 "" ${cli_no_key} ${cli_health} --watch --json)
talkory_cli_test(watch_bad_ca_file 2 "error: invalid_options" "SECRETSENTINEL" ${cli_secret_key}
                 ${cli_health} --watch --ca-file /nonexistent/ca.pem --base-url https://127.0.0.1:1)

add_executable(program_tests test/programs/main.cpp test/programs/watch_cli_tests.cpp
                             test/programs/example_tests.cpp test/programs/hostile_output_tests.cpp
                             test/programs/health_cli_tests.cpp)
target_include_directories(program_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/test)
# talkory_testing: the hostile-output and CLI tests script an in-process mock server's answers.
# talkory_test_support: the raw-bytes fault server (a peer that ignores close_notify).
target_link_libraries(program_tests PRIVATE talkory_testing talkory_test_support
                                            Boost::unit_test_framework Boost::json
                                            Boost::headers Threads::Threads talkory_test_warnings)
target_compile_definitions(program_tests PRIVATE BOOST_TEST_DYN_LINK)
add_dependencies(program_tests talkory-health talkory-mock-server talkory-example-coroutine
                              talkory-example-callbacks talkory-example-watch
                              talkory-example-gateway-server talkory-example-observability
                              talkory-bench) # the programs it runs
set(program_test_env TALKORY_HEALTH=$<TARGET_FILE:talkory-health>
    TALKORY_MOCK_SERVER=$<TARGET_FILE:talkory-mock-server>
    TALKORY_EXAMPLE_COROUTINE=$<TARGET_FILE:talkory-example-coroutine>
    TALKORY_EXAMPLE_CALLBACKS=$<TARGET_FILE:talkory-example-callbacks>
    TALKORY_EXAMPLE_WATCH=$<TARGET_FILE:talkory-example-watch>
    TALKORY_EXAMPLE_GATEWAY=$<TARGET_FILE:talkory-example-gateway-server>
    TALKORY_EXAMPLE_OBSERVABILITY=$<TARGET_FILE:talkory-example-observability>
    TALKORY_BENCH=$<TARGET_FILE:talkory-bench>)
add_test(NAME cli.watch COMMAND program_tests --run_test=watch_cli_tests --report_level=short)
add_test(NAME cli.examples COMMAND program_tests --run_test=example_tests --report_level=short)
add_test(NAME cli.hostile_output COMMAND program_tests --run_test=hostile_output_tests
                                 --report_level=short)
add_test(NAME cli.health COMMAND program_tests --run_test=health_cli_tests --report_level=short)
set_tests_properties(cli.watch cli.examples cli.hostile_output cli.health PROPERTIES TIMEOUT 120
                     ENVIRONMENT "${program_test_env}")

# The README's quick start is example/coroutine.cpp from its first #include on, verbatim.
set(readme_check [=[
awk '/^### With a coroutine/{f=1} f&&/^```cpp/{p=1;next} p&&/^```/{exit} p' "$1" > "$3" &&
sed -n '/^#include <iostream>/,$p' "$2" | diff -u "$3" - && echo "quick start matches"
]=])
add_test(NAME cli.readme_quick_start COMMAND sh -c "${readme_check}" sh
                                     ${CMAKE_CURRENT_SOURCE_DIR}/README.md
                                     ${CMAKE_CURRENT_SOURCE_DIR}/example/coroutine.cpp
                                     ${CMAKE_CURRENT_BINARY_DIR}/readme_quick_start.cpp)

talkory_cli_test(bench_json 0 "\"errors\":0,.*\"rate_limiter\":\"disabled\"" "" ${cli_bench}
                 --requests 200 --concurrency 4 --connections 2 --json)
talkory_cli_test(bench_no_reuse 0 "\"reuse\":false,\"errors\":0," "" ${cli_bench} --requests 20
                 --no-reuse --json)
talkory_cli_test(bench_text 0 "client rate limiter: +disabled" "" ${cli_bench} --requests 50)
talkory_cli_test(bench_says_coalescing_off 0 "coalescing: +off" "" ${cli_bench} --requests 20
                 --concurrency 4)
talkory_cli_test(bench_json_coalescing_off 0 "\"http_requests\":20,.*\"coalescing\":false" "" ${cli_bench} --requests 20
                 --concurrency 4 --json)
talkory_cli_test(bench_bad_count 64 "--requests needs a whole number" "" ${cli_bench} --requests 0)
talkory_cli_test(bench_ca_without_url 64 "--ca-file needs --base-url" "" ${cli_bench} --ca-file x)

# The bench's measuring tools (label bench: ctest -L bench). talkory-bench's operator new counter
# must be switched on over the measured calls; the libcurl peer, when built, runs against
# talkory-mock-server on 127.0.0.1.
talkory_cli_test(bench_allocations_json 0
                 "\"allocations_per_request\":([1-9]|0\\.[0-9]*[1-9]).*,\"bytes_allocated_per_request\":[1-9]"
                 "" ${cli_bench} --requests 50 --json)
talkory_cli_test(bench_allocations_text 0 "operator new per call: [1-9][0-9.]* \\([1-9][0-9.]* bytes\\)" ""
                 ${cli_bench} --requests 50)
talkory_cli_test(bench_warmup 0 "\"requests\":20,.*\"warmup\":10,.*\"http_requests\":30," ""
                 ${cli_bench} --requests 20 --warmup 10 --concurrency 2 --json)
talkory_cli_test(bench_bad_warmup 64 "--warmup needs a whole number from 0" "" ${cli_bench}
                 --warmup -1)
talkory_cli_test(bench_default_options 0
                 "\"errors\":0,.*\"rate_limiter\":\"enabled\",\"max_retries\":2,\"coalescing\":false" ""
                 ${cli_bench} --requests 50 --concurrency 2 --default-options --json)
talkory_cli_test(bench_coalesce 0 "\"coalescing\":true" "" ${cli_bench} --requests 20
                 --default-options --coalesce --json)
get_property(talkory_bench_tests DIRECTORY PROPERTY TESTS)
list(FILTER talkory_bench_tests INCLUDE REGEX "^cli\\.bench_")
if(TARGET talkory-curl-peer)
  add_test(NAME bench.curl_peer_smoke
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/peer_smoke_test.sh
                   $<TARGET_FILE:talkory-mock-server> $<TARGET_FILE:talkory-curl-peer>)
  talkory_cli_test(bench_curl_peer_help 0 "^usage: talkory-curl-peer" ""
                   $<TARGET_FILE:talkory-curl-peer> --help)
  talkory_cli_test(bench_curl_peer_bad_count 64 "--requests needs a whole number" ""
                   $<TARGET_FILE:talkory-curl-peer> --base-url https://127.0.0.1:1 --requests 0)
  talkory_cli_test(bench_curl_peer_refused 2 "requests failed" "" env
                   TALKORY_API_KEY=tk_live_demo0000000000000000000000000000
                   $<TARGET_FILE:talkory-curl-peer> --base-url https://127.0.0.1:1 --requests 3)
  list(APPEND talkory_bench_tests bench.curl_peer_smoke cli.bench_curl_peer_help
       cli.bench_curl_peer_bad_count cli.bench_curl_peer_refused)
  set_tests_properties(bench.curl_peer_smoke PROPERTIES TIMEOUT 60)
endif()
set_property(TEST ${talkory_bench_tests} APPEND PROPERTY LABELS bench)
# Fleet mode's flags (no Redis needed: nothing listens on port 1, so the fallback answers).
if(TALKORY_HAS_FLEET)
  talkory_cli_test(health_demo_redis_fallback 0 "^gpt +ok$" "" ${cli_health} --demo --redis
                   redis://127.0.0.1:1)
  talkory_cli_test(health_redis_tls_refused 2 "hiredis 0.14" "" ${cli_health} --demo --redis
                   rediss://127.0.0.1:1)
endif()
talkory_cli_test(bench_redis_needs_a_value 64 "'--redis' needs a value" "" ${cli_bench} --redis)
talkory_cli_test(bench_redis_bad_processes 64 "--processes needs a whole number" "" ${cli_bench}
                 --redis redis://127.0.0.1:1 --processes 0)
