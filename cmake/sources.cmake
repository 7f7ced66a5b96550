# Every source file of talkory, listed explicitly (a new file is added here, by hand): the
# library, the shared codec, the mock server, the programs and the tests.

# The codec: pure functions between the API's HTTP messages and talkory's types (no sockets, no
# clocks), compiled once for the library, the unit tests and the fuzz targets.
set(TALKORY_CODEC_SOURCES
    src/text.cpp
    src/http_dates.cpp
    src/json_fields.cpp
    src/json_duplicate_keys.cpp
    src/json_document.cpp
    src/http_message.cpp
    src/error_decoder.cpp
    src/health_body_reader.cpp
    src/health_decoder.cpp
    src/base_url.cpp
    src/errors.cpp
    src/health.cpp
    src/secret_scrubber.cpp)

# The rest of the library.
set(TALKORY_LIBRARY_SOURCES
    src/cache_policy.cpp
    src/call_registry.cpp
    src/call_settings.cpp
    src/client.cpp
    src/client_impl.cpp
    src/connection.cpp
    src/connection_pool.cpp
    src/event_buffer.cpp
    src/health_diff.cpp
    src/health_endpoint.cpp
    src/health_watcher.cpp
    src/observability.cpp
    src/call_event.cpp
    src/options.cpp
    src/prometheus.cpp
    src/poll_schedule.cpp
    src/rate_limiter.cpp
    src/request_bytes.cpp
    src/request_pipeline.cpp
    src/retry_policy.cpp
    src/serial_executor.cpp
    src/tls_context.cpp
    src/token_bucket.cpp
    src/transport_errors.cpp
    src/unit_random.cpp
    src/version.cpp
    src/watch.cpp
    src/watch_state.cpp
    src/fleet/fleet_keys.cpp
    src/fleet/redis_url.cpp)

# Fleet mode (src/fleet/): compiled into the library only when hiredis is found.
# The parts that need no hiredis (the URL, the key derivation) are library sources above.
set(TALKORY_FLEET_SOURCES
    src/fleet/fleet_cache.cpp
    src/fleet/fleet_limiter.cpp
    src/fleet/redis_connection.cpp)

# The mock server (talkory::testing), shipped for users' own tests.
set(TALKORY_TESTING_SOURCES
    src/testing/certificates.cpp
    src/testing/chaos.cpp
    src/testing/mock_server.cpp
    src/testing/mock_session.cpp
    src/testing/mock_state.cpp
    src/testing/mock_state_schedule.cpp
    src/testing/responses.cpp
    src/testing/status_schedule.cpp)

# Test executables: one per kind; each file holds one suite, named after the file.
set(TALKORY_UNIT_TEST_SOURCES
    test/unit/base_url_tests.cpp
    test/unit/cache_policy_tests.cpp
    test/unit/codec_fuzz_regressions_tests.cpp
    test/unit/completion_tests.cpp
    test/unit/connection_pool_tests.cpp
    test/unit/documented_defaults_tests.cpp
    test/unit/errc_table_tests.cpp
    test/unit/error_decoder_tests.cpp
    test/unit/errors_tests.cpp
    test/unit/event_buffer_tests.cpp
    test/unit/call_registry_tests.cpp
    test/unit/health_body_reader_tests.cpp
    test/unit/health_decoder_tests.cpp
    test/unit/json_document_tests.cpp
    test/unit/health_diff_tests.cpp
    test/unit/health_tests.cpp
    test/unit/http_dates_tests.cpp
    test/unit/http_message_tests.cpp
    test/unit/main.cpp
    test/unit/mock_chaos_tests.cpp
    test/unit/mock_state_schedule_tests.cpp
    test/unit/mock_state_tests.cpp
    test/unit/observability_tests.cpp
    test/unit/options_tests.cpp
    test/unit/poll_schedule_tests.cpp
    test/unit/pool_core_tests.cpp
    test/unit/prometheus_tests.cpp
    test/unit/rate_limiter_tests.cpp
    test/unit/readme_error_table_tests.cpp
    test/unit/retry_policy_tests.cpp
    test/unit/secret_scrubber_tests.cpp
    test/unit/serial_executor_tests.cpp
    test/unit/single_flight_tests.cpp
    test/unit/text_tests.cpp
    test/unit/tls_context_tests.cpp
    test/unit/token_bucket_tests.cpp
    test/unit/version_tests.cpp
    test/unit/waiter_queue_tests.cpp
    test/unit/watch_options_tests.cpp
    test/unit/watch_state_tests.cpp)
set(TALKORY_INTEGRATION_TEST_SOURCES
    test/integration/cache_tests.cpp
    test/integration/call_events_tests.cpp
    test/integration/call_options_tests.cpp
    test/integration/cancellation_tests.cpp
    test/integration/connection_pool_tests.cpp
    test/integration/deadline_pin_tests.cpp
    test/integration/error_mapping_tests.cpp
    test/integration/fault_matrix_tests.cpp
    test/integration/health_call_tests.cpp
    test/integration/health_watcher_tests.cpp
    test/integration/log_line_tests.cpp
    test/integration/main.cpp
    test/integration/mock_schedule_tests.cpp
    test/integration/mock_server_tests.cpp
    test/integration/pool_pin_tests.cpp
    test/integration/rate_limit_tests.cpp
    test/integration/reflected_secret_tests.cpp
    test/integration/retry_pin_tests.cpp
    test/integration/retry_tests.cpp
    test/integration/second_endpoint_tests.cpp
    test/integration/single_flight_tests.cpp
    test/integration/tls_verification_tests.cpp)
set(TALKORY_SOAK_TEST_SOURCES
    test/soak/chaos_soak_tests.cpp
    test/soak/main.cpp)
# The fleet tests (label fleet): a real redis-server, started per test.
set(TALKORY_FLEET_TEST_SOURCES
    test/fleet/fleet_failure_tests.cpp
    test/fleet/fleet_options_tests.cpp
    test/fleet/fleet_process_tests.cpp
    test/fleet/fleet_script_tests.cpp
    test/fleet/main.cpp)
set(TALKORY_FLEET_TEST_SUPPORT_SOURCES test/fleet/redis_server.cpp)
# Test-only servers beside the mock: the raw-bytes fault server and its certificates.
set(TALKORY_TEST_SUPPORT_SOURCES
    test/support/fault_server.cpp
    test/support/test_certificates.cpp)
