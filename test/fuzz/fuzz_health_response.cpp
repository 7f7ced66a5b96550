// decode_health_response / decode_error_response on a response with an arbitrary status,
// arbitrary values for the headers the codec reads, and an arbitrary body; the health body read
// with the SAX reader first must decode exactly as through the DOM decoder alone.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "error_decoder.hpp"
#include "fuzz_checks.hpp"
#include "health_decoder.hpp"

namespace {

namespace http = boost::beast::http;
using talkory::detail::http_response;
using talkory_fuzz::check;

// A header value as Beast's parser could deliver it: no CR, LF or NUL (the parser refuses those)
// and no leading/trailing spaces or tabs (it strips them).
std::string header_value(FuzzedDataProvider& in) {
  std::string raw = in.ConsumeRandomLengthString(128);
  std::string out;
  for (const char c : raw)
    if (c != '\r' && c != '\n' && c != '\0')
      out.push_back(c);
  const auto first = out.find_first_not_of(" \t");
  if (first == std::string::npos)
    return {};
  return out.substr(first, out.find_last_not_of(" \t") - first + 1);
}

// The fields a body gives a report (the rest come from the headers, decoded once for both).
bool same_body_fields(const talkory::health_report& a, const talkory::health_report& b) {
  if (a.status != b.status || a.raw_status != b.raw_status || a.checked_at != b.checked_at ||
      a.providers.size() != b.providers.size())
    return false;
  for (std::size_t i = 0; i < a.providers.size(); ++i)
    if (a.providers[i].name != b.providers[i].name ||
        a.providers[i].status != b.providers[i].status ||
        a.providers[i].raw_status != b.providers[i].raw_status)
      return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // Mostly the statuses the codec distinguishes, sometimes any three-digit status.
  static constexpr unsigned common[] = {200, 201, 204, 299, 301, 302, 400, 401, 402, 403,
                                        404, 413, 429, 500, 502, 503, 504, 100, 0,   999};
  const unsigned status =
      in.ConsumeBool() ? in.PickValueInArray(common) : in.ConsumeIntegralInRange(0u, 999u);

  http_response response{};
  response.result(status);
  response.version(11);
  // Each header present or not; a present header may be empty.
  static constexpr const char* names[] = {
      "X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining",
      "Retry-After",  "Location",          "Content-Type"};
  const std::uint8_t present = in.ConsumeIntegral<std::uint8_t>();
  for (std::size_t i = 0; i < std::size(names); ++i)
    if (present & (1u << i))
      response.set(names[i], header_value(in));
  response.body() = in.ConsumeRemainingBytesAsString();

  // A fixed clock reading: the decoders take "now" as a parameter, and an input must replay alike.
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'782'554'400}};
  const int expected_status = static_cast<int>(status);
  const auto report = talkory::detail::decode_health_response(response, now);
  // The SAX reader that takes the documented body must agree with the DOM decoder alone.
  const auto dom = talkory::detail::decode_health_response(response, now,
                                                           talkory::detail::body_reading::dom_only);
  check(report.has_value() == dom.has_value(), "the reader and the DOM decoder disagree");
  if (report && dom)
    check(same_body_fields(*report, *dom), "the reader's report differs from the DOM decoder's");
  if (!report && !dom)
    check(report.error().message == dom.error().message,
          "the reader path changed the error message");
  if (report) {
    check(status >= 200 && status <= 299, "a report was decoded from a non-2xx response");
    check(report->meta.http_status == expected_status, "report.meta.http_status is wrong");
    check(report->meta.request_id.size() <= 64 + 3, "report.meta.request_id is not bounded");
    check(talkory_fuzz::is_log_safe(report->meta.request_id),
          "report.meta.request_id is not log safe");
    if (report->meta.rate_limit_limit)
      check(*report->meta.rate_limit_limit >= 0, "negative X-RateLimit-Limit");
    if (report->meta.rate_limit_remaining)
      check(*report->meta.rate_limit_remaining >= 0, "negative X-RateLimit-Remaining");
    // The caller prints reports: the printer must cope with whatever was decoded.
    std::ostringstream os;
    os << *report;
    (void)report->all_ok();
    (void)report->find("gpt");
  } else {
    talkory_fuzz::check_api_error(report.error(), expected_status);
    if (status >= 200 && status <= 299)
      check(report.error().code == talkory::errc::invalid_response,
            "a bad 2xx response did not give invalid_response");
  }

  // The pipeline decodes every non-2xx response as an error; decode any status here.
  const auto error = talkory::detail::decode_error_response(response, now);
  talkory_fuzz::check_api_error(error, expected_status);
  check(error.origin == talkory::error_origin::server,
        "decode_error_response origin is not server");
  return 0;
}
