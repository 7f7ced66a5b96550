// GET /v1/health/llm: the definition of the health endpoint, and how a client starts it.
#include "health_endpoint.hpp"

#include "call_lifecycle.hpp"
#include "health_decoder.hpp"

namespace talkory::detail {

namespace {

result<health_report> decode_health(const pipeline_response& r, std::chrono::microseconds latency) {
  auto report = decode_health_response(r.response(), std::chrono::system_clock::now());
  if (report) {
    report->meta.attempts = r.attempts;
    report->meta.connection_reused = r.connection_reused;
    report->meta.latency = latency;
  }
  return report;
}

const api_endpoint<health_report> health_llm{
    .request = {.method = boost::beast::http::verb::get,
                .path = "/v1/health/llm",
                .body = {},
                .idempotent = true},
    .decode = &decode_health,
    .cache_metadata = [](health_report& report) { return &report.meta; },
};

} // namespace

void start_health(const std::shared_ptr<client_impl>& impl, const call_options& options,
                  boost::asio::any_completion_handler<client::health_signature> handler,
                  boost::asio::any_io_executor work) {
  start_call(impl, health_llm, options,
             track_erased(std::move(handler), std::move(work), impl->executor()));
}

} // namespace talkory::detail
