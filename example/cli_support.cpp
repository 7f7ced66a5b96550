// Helpers shared by talkory-health and talkory-bench (see cli_support.hpp).
#include "cli_support.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <ostream>
#include <system_error>

#include <boost/json/serialize.hpp>

#include <talkory/printable.hpp>

namespace talkory::cli {

std::expected<std::vector<parsed_flag>, std::string> parse_flags(std::span<char* const> args,
                                                                 std::span<const flag_spec> specs) {
  std::vector<parsed_flag> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!arg.starts_with('-') || arg == "-" || arg == "--") {
      return std::unexpected("unexpected argument '" + printable(arg) + "'");
    }
    // "--name=value" carries its value inline.
    const std::size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const auto spec = std::ranges::find(specs, name, &flag_spec::name);
    if (spec == specs.end()) {
      return std::unexpected("unknown option '" + printable(name) + "'");
    }
    parsed_flag flag{spec->name, std::nullopt};
    if (eq != std::string_view::npos) {
      if (!spec->takes_value) {
        return std::unexpected("option '" + std::string(name) + "' takes no value");
      }
      flag.value = arg.substr(eq + 1);
    } else if (spec->takes_value) {
      // None of the values these programs take starts with "--": such an argument is the next
      // flag, and the value was forgotten.
      if (i + 1 == args.size() || std::string_view(args[i + 1]).starts_with("--")) {
        return std::unexpected("option '" + std::string(name) + "' needs a value");
      }
      flag.value = std::string_view(args[++i]);
    }
    flags.push_back(flag);
  }
  return flags;
}

std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) noexcept {
  double seconds = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, seconds);
  // Four months is far beyond any sensible timeout; the bound keeps the conversion to
  // milliseconds overflow-free.
  constexpr double max_seconds = 1e7;
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > max_seconds) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000.0)));
}

std::optional<std::size_t> parse_count(std::string_view text, std::size_t max) noexcept {
  std::size_t count = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, count);
  if (text.empty() || ec != std::errc{} || ptr != end || count == 0 || count > max) {
    return std::nullopt;
  }
  return count;
}

std::optional<std::string> read_count(std::string_view name, std::string_view value,
                                      std::size_t max, std::size_t& field) {
  const auto n = parse_count(value, max);
  if (!n)
    return std::string(name) + " needs a whole number from 1 to " + std::to_string(max) +
           ", not '" + std::string(value) + "'";
  field = *n;
  return std::nullopt;
}

namespace {

// The server's own string when it sent one (it may be a value the spec does not name).
std::string_view status_text(std::string_view raw, std::string_view parsed) {
  return raw.empty() ? parsed : raw;
}

boost::json::value optional_integer(const std::optional<std::int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

void append_json(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
  case boost::json::kind::object: {
    out += '{';
    bool first = true;
    for (const auto& member : value.get_object()) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += json_quoted(member.key());
      out += ':';
      append_json(out, member.value());
    }
    out += '}';
    break;
  }
  case boost::json::kind::array: {
    out += '[';
    bool first = true;
    for (const auto& element : value.get_array()) {
      if (!first) {
        out += ',';
      }
      first = false;
      append_json(out, element);
    }
    out += ']';
    break;
  }
  case boost::json::kind::double_: {
    const double d = value.get_double();
    if (!std::isfinite(d)) {
      out += "null";
      break;
    }
    std::array<char, 64> buffer{};
    // Shortest round-trip form: "12.5", "1", "1e-07" are all valid JSON numbers.
    const auto [ptr, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
    out.append(ec == std::errc{} ? std::string_view(buffer.data(), ptr) : "null");
    break;
  }
  case boost::json::kind::string:
    // Boost.JSON writes U+009B, U+202E and the like raw: escaped here, as every key is.
    out += json_quoted(value.get_string());
    break;
  default:
    out += boost::json::serialize(value);
    break;
  }
}

} // namespace

boost::json::object report_to_json(const health_report& report) {
  boost::json::object providers;
  for (const auto& provider : report.providers) {
    boost::json::object entry;
    entry["status"] = status_text(provider.raw_status, to_string(provider.status));
    providers[provider.name] = std::move(entry);
  }
  const auto& meta = report.meta;
  boost::json::object out;
  out["status"] = status_text(report.raw_status, to_string(report.status));
  out["checkedAt"] = format_iso8601(report.checked_at);
  out["providers"] = std::move(providers);
  out["requestId"] = meta.request_id;
  out["httpStatus"] = meta.http_status;
  out["rateLimitLimit"] = optional_integer(meta.rate_limit_limit);
  out["rateLimitRemaining"] = optional_integer(meta.rate_limit_remaining);
  out["latencyMs"] = static_cast<double>(meta.latency.count()) / 1000.0;
  out["attempts"] = meta.attempts;
  out["connectionReused"] = meta.connection_reused;
  return out;
}

boost::json::object error_to_json(const api_error& error) {
  boost::json::object detail;
  detail["code"] = to_string(error.code);
  detail["message"] = error.message;
  detail["status"] = error.http_status;
  detail["requestId"] = error.request_id;
  detail["attempts"] = error.attempts;
  if (error.retry_after) {
    detail["retryAfterSeconds"] = error.retry_after->count();
  }
  boost::json::object out;
  out["error"] = std::move(detail);
  return out;
}

boost::json::object stats_to_json(const client_stats& s) {
  return {
      {"calls_started", s.calls_started},
      {"calls_succeeded", s.calls_succeeded},
      {"calls_failed", s.calls_failed},
      {"requests", s.requests},
      {"requests_on_reused", s.requests_on_reused},
      {"connections_opened", s.connections_opened},
      {"handshakes_full", s.handshakes_full},
      {"handshakes_resumed", s.handshakes_resumed},
      {"stale_retries", s.stale_retries},
      {"retries", s.retries},
      {"pool_waits", s.pool_waits},
      {"rate_limit_waits", s.rate_limit_waits},
      {"connections_idle", s.connections_idle},
      {"connections_active", s.connections_active},
  };
}

std::string to_json_text(const boost::json::value& value) {
  std::string out;
  append_json(out, value);
  return out;
}

namespace {

std::string describe_status(std::string_view parsed, std::string_view raw) {
  // An unknown status shows what the server actually said, bounded and terminal-safe.
  if (parsed == "unknown" && !raw.empty()) {
    std::string out = "unknown (\"";
    out += printable(raw, max_table_status_width);
    out += "\")";
    return out;
  }
  return std::string(parsed);
}

// The row standing for the providers the table leaves out.
std::string more_items_line(std::size_t left_out) {
  return "... " + std::to_string(left_out) + " more (--json lists them all)";
}

} // namespace

void print_report_table(std::ostream& os, const health_report& report) {
  const auto& meta = report.meta;
  os << "status      " << describe_status(to_string(report.status), report.raw_status) << '\n';
  os << "checked at  " << format_iso8601(report.checked_at) << '\n';
  os << "request id  " << (meta.request_id.empty() ? "(none)" : printable(meta.request_id)) << '\n';
  os << "rate limit  ";
  if (meta.rate_limit_remaining && meta.rate_limit_limit) {
    os << *meta.rate_limit_remaining << " of " << *meta.rate_limit_limit << " remaining\n";
  } else if (meta.rate_limit_remaining) {
    os << *meta.rate_limit_remaining << " remaining\n";
  } else {
    os << "(not reported)\n";
  }

  // Server text goes to a terminal: every cell is printable() (no escape sequences, no bidi
  // overrides) and bounded, the name column is as wide as the longest name shown but never wider
  // than max_table_name_width, and at most max_table_rows rows are shown. The table's size is
  // bounded whatever the server sends (a column padded to a 0.5 MB name would not be).
  const auto& providers = report.providers;
  const auto shown = std::min(providers.size(), max_table_rows);
  std::vector<std::string> names;
  std::size_t width = std::string_view("provider").size();
  for (std::size_t i = 0; i < shown; ++i) {
    names.push_back(printable(providers[i].name, max_table_name_width));
    width = std::max(width, printable_width(names.back()));
  }
  const auto cell = [&](std::string_view text) {
    os << text << std::string(width + 2 - printable_width(text), ' ');
  };
  os << '\n';
  cell("provider");
  os << "status\n";
  cell(std::string(width, '-'));
  os << "------\n";
  for (std::size_t i = 0; i < shown; ++i) {
    cell(names[i]);
    os << describe_status(to_string(providers[i].status), providers[i].raw_status) << '\n';
  }
  if (shown < providers.size()) {
    os << more_items_line(providers.size() - shown) << '\n';
  }
  if (providers.empty()) {
    os << "(the server listed no providers)\n";
  }
}

void print_stats(std::ostream& os, const client_stats& s, std::string_view prefix) {
  os << prefix << "calls: " << s.calls_started << " started, " << s.calls_succeeded
     << " succeeded, " << s.calls_failed << " failed\n";
  os << prefix << "http requests: " << s.requests << " (" << s.requests_on_reused
     << " on reused connections, " << s.stale_retries << " stale replays, " << s.retries
     << " retries)\n";
  os << prefix << "connections: " << s.connections_opened << " opened, " << s.connections_idle
     << " idle, " << s.connections_active << " active\n";
  os << prefix << "tls handshakes: " << s.handshakes_full << " full, " << s.handshakes_resumed
     << " resumed\n";
  os << prefix << "waits: " << s.pool_waits << " for a pooled connection, " << s.rate_limit_waits
     << " for the rate limiter\n";
}

std::string format_ms(std::chrono::microseconds duration) {
  // Latencies are never negative; clamp rather than print "-0.-5 ms" if a clock misbehaves.
  const auto us = std::max<std::int64_t>(duration.count(), 0);
  const std::string frac = std::to_string(us % 1000);
  return std::to_string(us / 1000) + '.' + std::string(3 - frac.size(), '0') + frac + " ms";
}

} // namespace talkory::cli
