// A Boost.JSON SAX handler that follows the documented body level by level and stops the
// parser (declines) at the first event the documented shape does not have.
#include "health_body_reader.hpp"

#include <cstddef>
#include <cstdint>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>

#include "http_dates.hpp"
#include "json_fields.hpp"

namespace talkory::detail {

namespace json = boost::json;
using boost::system::error_code;

// The words as literals (to_string() gives the same ones; the tests hold them to it), so that
// each comparison compiles to a length check and one or two loads.
health_status health_status_of(std::string_view word) noexcept {
  if (word == "ok")
    return health_status::ok;
  if (word == "degraded")
    return health_status::degraded;
  return health_status::unknown;
}

provider_status provider_status_of(std::string_view word) noexcept {
  if (word == "ok")
    return provider_status::ok;
  if (word == "error")
    return provider_status::error;
  return provider_status::unknown;
}

namespace {

// GPT, Claude, Gemini, Grok and Perplexity.
constexpr std::size_t documented_providers = 5;

// What the next value belongs to.
enum class slot : std::uint8_t {
  none,            // no key read yet at this level
  status,          // the root's "status"
  checked_at,      // the root's "checkedAt"
  providers,       // the root's "providers"
  provider,        // one provider's object
  provider_status, // that provider's "status"
};

class documented_body_handler {
public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit documented_body_handler(health_report& report) noexcept : report_(report) {}

  // Every member of the documented shape was read, each once.
  bool complete() const noexcept {
    return depth_ == 0 && seen_status_ && seen_checked_at_ && seen_providers_;
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }

  bool on_object_begin(error_code& ec) {
    if (depth_ == 0) { // the root (the parser allows no second one)
      depth_ = 1;
      return true;
    }
    if (depth_ == 1 && next_ == slot::providers) {
      depth_ = 2;
      return true;
    }
    if (depth_ == 2 && next_ == slot::provider) {
      depth_ = 3;
      provider_has_status_ = false;
      return true;
    }
    return decline(ec);
  }

  bool on_object_end(std::size_t, error_code& ec) {
    if (depth_ == 3 && !provider_has_status_)
      return decline(ec); // a provider without "status"
    --depth_;
    next_ = slot::none;
    return true;
  }

  bool on_key(json::string_view k, std::size_t, error_code& ec) {
    const std::string_view key(k.data(), k.size());
    switch (depth_) {
    case 1:
      return root_key(key, ec);
    case 2:
      return provider_name(key, ec);
    case 3:
      if (key != "status" || provider_has_status_)
        return decline(ec);
      next_ = slot::provider_status;
      return true;
    default:
      return decline(ec);
    }
  }

  bool on_string(json::string_view s, std::size_t, error_code& ec) {
    const std::string_view text(s.data(), s.size());
    switch (next_) {
    case slot::status:
      report_.status = health_status_of(text);
      report_.raw_status.assign(text);
      break;
    case slot::checked_at: {
      const auto when = parse_iso8601(text);
      if (!when)
        return decline(ec);
      report_.checked_at = *when;
      break;
    }
    case slot::provider_status: {
      auto& provider = report_.providers.back();
      provider.status = provider_status_of(text);
      provider.raw_status.assign(text);
      provider_has_status_ = true;
      break;
    }
    default:
      return decline(ec);
    }
    next_ = slot::none;
    return true;
  }

  // Pieces of a key or string come only with long or escaped-and-long text; nothing the
  // documented body has. Numbers, booleans, nulls, arrays and comments it has none of.
  bool on_key_part(json::string_view, std::size_t, error_code& ec) { return decline(ec); }
  bool on_string_part(json::string_view, std::size_t, error_code& ec) { return decline(ec); }
  bool on_array_begin(error_code& ec) { return decline(ec); }
  bool on_array_end(std::size_t, error_code& ec) { return decline(ec); }
  bool on_number_part(json::string_view, error_code& ec) { return decline(ec); }
  bool on_int64(std::int64_t, json::string_view, error_code& ec) { return decline(ec); }
  bool on_uint64(std::uint64_t, json::string_view, error_code& ec) { return decline(ec); }
  bool on_double(double, json::string_view, error_code& ec) { return decline(ec); }
  bool on_bool(bool, error_code& ec) { return decline(ec); }
  bool on_null(error_code& ec) { return decline(ec); }
  bool on_comment_part(json::string_view, error_code& ec) { return decline(ec); }
  bool on_comment(json::string_view, error_code& ec) { return decline(ec); }

private:
  static bool decline(error_code& ec) {
    ec = json::error::syntax; // any error stops the parser; which one is never reported
    return false;
  }

  bool root_key(std::string_view key, error_code& ec) {
    bool* seen = nullptr;
    if (key == "status") {
      seen = &seen_status_;
      next_ = slot::status;
    } else if (key == "checkedAt") {
      seen = &seen_checked_at_;
      next_ = slot::checked_at;
    } else if (key == "providers") {
      seen = &seen_providers_;
      next_ = slot::providers;
    }
    if (seen == nullptr || *seen)
      return decline(ec);
    *seen = true;
    return true;
  }

  bool provider_name(std::string_view name, error_code& ec) {
    auto& providers = report_.providers;
    if (providers.size() == max_read_providers)
      return decline(ec);
    for (const auto& earlier : providers)
      if (earlier.name == name)
        return decline(ec);
    if (providers.empty())
      providers.reserve(documented_providers);  // one allocation for the documented answer
    providers.emplace_back().name.assign(name); // status and raw_status come with its "status"
    next_ = slot::provider;
    return true;
  }

  health_report& report_;
  int depth_ = 0;
  slot next_ = slot::none;
  bool seen_status_ = false;
  bool seen_checked_at_ = false;
  bool seen_providers_ = false;
  bool provider_has_status_ = false;
};

} // namespace

bool read_documented_health_body(std::string_view body, health_report& report) {
  json::parse_options options;
  options.max_depth = max_json_depth; // as the DOM decoder's parse, so both accept alike
  json::basic_parser<documented_body_handler> parser(options, report);
  error_code ec;
  const std::size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && consumed == body.size() && parser.handler().complete())
    return true;
  report.status = health_status::unknown;
  report.raw_status.clear();
  report.checked_at = {};
  report.providers.clear();
  return false;
}

} // namespace talkory::detail
