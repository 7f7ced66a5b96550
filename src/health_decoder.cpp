// The health body: {"status", "checkedAt", "providers": {name: {"status"}}}, strictly typed,
// unknown statuses and providers kept, the first problem found named in the error. The
// documented body is read by the SAX reader (health_body_reader.hpp); everything else, and every
// error, goes through the DOM here.
#include "health_decoder.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/monotonic_resource.hpp>

#include "error_decoder.hpp"
#include "health_body_reader.hpp"
#include "http_dates.hpp"
#include "json_fields.hpp"
#include "text.hpp"

namespace talkory::detail {

namespace {

// The decoding failure of a 2xx health response.
struct health_failure {
  std::string detail;
  std::string snippet; // set when the body could not be read as JSON at all
};

// Parses the body, or says why it is not JSON at all (with a snippet of it).
std::optional<boost::json::value> parse_body(std::string_view body, health_failure& failure,
                                             boost::json::storage_ptr storage) {
  if (is_blank(body)) {
    failure.detail = "the body is empty, expected a JSON object";
    return std::nullopt;
  }
  std::string problem;
  auto value = parse_json(body, problem, std::move(storage));
  if (!value) {
    failure.snippet = bounded_snippet(body);
    failure.detail = looks_like_html(body)
                         ? "the body is an HTML page, not JSON (check that base_url points at "
                           "the Talkory API): " +
                               failure.snippet
                         : "the body is not valid JSON (" + problem + "): " + failure.snippet;
  }
  return value;
}

// Appends the providers in the server's order (json::object keeps insertion order).
bool decode_providers(const boost::json::object& members, health_report& report,
                      health_failure& failure) {
  report.providers.reserve(members.size());
  for (const auto& member : members) {
    const std::string_view name(member.key().data(), member.key().size());
    const auto* provider = member.value().if_object();
    const auto state = provider ? find_string(*provider, "status") : std::nullopt;
    if (!state) {
      // Only a failure pays for the message naming the provider.
      const std::string where = "provider " + quoted(name);
      if (provider == nullptr)
        failure.detail = type_mismatch(where, member.value(), "an object");
      else
        string_member(*provider, "status", where + ": ", failure.detail);
      return false;
    }
    report.providers.push_back(
        provider_health{std::string(name), provider_status_of(*state), std::string(*state)});
  }
  return true;
}

// Fills `report` from the body, or explains the first thing that is wrong with it.
bool decode_health_body(std::string_view body, health_report& report, health_failure& failure) {
  // The DOM lives only while the report is copied out of it: a documented answer fits in this
  // buffer, so it costs no heap allocation (a bigger one continues on the heap).
  alignas(std::max_align_t) unsigned char dom_memory[4096];
  boost::json::monotonic_resource dom_resource(dom_memory, sizeof dom_memory);
  const auto value = parse_body(body, failure, &dom_resource);
  if (!value)
    return false;
  if (!value->is_object()) {
    failure.detail = type_mismatch("the body", *value, "a JSON object");
    return false;
  }
  const auto& root = value->get_object();

  const auto status = string_member(root, "status", "", failure.detail);
  if (!status)
    return false;
  report.status = health_status_of(*status);
  report.raw_status = std::string(*status);

  const auto checked_at = string_member(root, "checkedAt", "", failure.detail);
  if (!checked_at)
    return false;
  const auto when = parse_iso8601(*checked_at);
  if (!when) {
    failure.detail = "\"checkedAt\" is not an ISO 8601 date-time: " + quoted(*checked_at);
    return false;
  }
  report.checked_at = *when;

  const auto* providers = object_member(root, "providers", "", failure.detail);
  return providers != nullptr && decode_providers(*providers, report, failure);
}

result<health_report> decode(const http_response& response,
                             std::chrono::system_clock::time_point now, body_reading reading) {
  const unsigned status = response.result_int();
  if (status < 200 || status > 299)
    return std::unexpected(decode_error_response(response, now));

  health_report report;
  report.meta.http_status = static_cast<int>(status);
  report.meta.request_id =
      bounded_snippet(header_value(response, "X-Request-Id"), max_quoted_value);
  report.meta.rate_limit_limit = parse_header_integer(header_value(response, "X-RateLimit-Limit"));
  report.meta.rate_limit_remaining =
      parse_header_integer(header_value(response, "X-RateLimit-Remaining"));

  if (reading == body_reading::reader_first && read_documented_health_body(response.body(), report))
    return report;
  health_failure failure;
  if (!decode_health_body(response.body(), report, failure)) {
    api_error error;
    error.code = errc::invalid_response;
    error.origin = error_origin::client;
    error.http_status = static_cast<int>(status);
    error.message = "the health response is invalid: " + failure.detail;
    error.request_id = report.meta.request_id;
    error.body_snippet = std::move(failure.snippet);
    return std::unexpected(std::move(error));
  }
  return report;
}

} // namespace

result<health_report> decode_health_response(const http_response& response,
                                             std::chrono::system_clock::time_point now,
                                             body_reading reading) {
  try {
    return decode(response, now, reading);
  } catch (const std::exception& e) {
    return std::unexpected(decoding_failure(response, e));
  }
}

} // namespace talkory::detail
