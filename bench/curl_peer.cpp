// talkory-curl-peer: the libcurl yardstick for talkory-bench. It makes the same GET as health()
// (same path, same headers, TLS verified, keep-alive) with the easy interface at concurrency 1
// and C transfers in flight on one multi handle above it, and reports the same figures.
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <talkory/version.hpp>

namespace {

using std::chrono::microseconds;
using steady = std::chrono::steady_clock;

constexpr std::string_view program = "talkory-curl-peer";
constexpr int exit_ok = 0;
constexpr int exit_error = 2;
constexpr int exit_usage = 64;

constexpr std::string_view usage_text =
    R"(usage: talkory-curl-peer --base-url URL [--ca-file PATH] [--requests N] [--concurrency C]
                         [--warmup W] [--no-reuse] [--json]

Makes N GET /v1/health/llm requests with libcurl, the same request as talkory's health()
(Authorization: Bearer $TALKORY_API_KEY, Accept: application/json, talkory's User-Agent), TLS
verified, and reports throughput, latency percentiles, CPU time and peak memory.

  --base-url URL      server to measure, e.g. https://127.0.0.1:8443 (key from TALKORY_API_KEY)
  --ca-file PATH      PEM file of the CAs to trust (default: the system's store)
  --requests N        measured requests (default: 2000)
  --concurrency C     requests in flight: 1 uses the easy interface, more one multi handle
                      with C transfers (default: 8)
  --warmup W          requests made before the measured ones, not counted (default: 0)
  --no-reuse          a fresh connection for every request, TLS sessions shared (resumed)
  --json              print the results as one JSON object on stdout
  -h, --help          print this help and exit

Exit status: 0 the run completed, 2 no request succeeded or the peer could not start, 64 usage.
)";

struct arguments {
  std::string base_url;
  std::string ca_file;
  std::size_t requests = 2000;
  std::size_t concurrency = 8;
  std::size_t warmup = 0;
  bool reuse = true;
  bool json = false;
  bool help = false;
};

std::optional<std::size_t> parse_count(std::string_view text, std::size_t min, std::size_t max) {
  std::size_t n = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || ptr != end || n < min || n > max) {
    return std::nullopt;
  }
  return n;
}

// Built with append: GCC 12 misreads operator+ on a string literal and a temporary here (a false
// -Wrestrict, PR 105329).
std::string needs_value(std::string_view name) {
  std::string text = "'";
  text.append(name).append("' needs a value");
  return text;
}

// Returns an error message, or nothing when the arguments are usable.
std::optional<std::string> parse_arguments(int argc, char** argv, arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    const auto value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) {
        return std::nullopt;
      }
      return std::string_view(argv[++i]);
    };
    const auto count = [&](std::size_t& field, std::size_t min,
                           std::size_t max) -> std::optional<std::string> {
      const auto v = value();
      if (!v) {
        return needs_value(name);
      }
      const auto n = parse_count(*v, min, max);
      if (!n) {
        return std::string(name) + " needs a whole number from " + std::to_string(min) + " to " +
               std::to_string(max) + ", not '" + std::string(*v) + "'";
      }
      field = *n;
      return std::nullopt;
    };
    std::optional<std::string> error;
    if (name == "--base-url" || name == "--ca-file") {
      const auto v = value();
      if (!v) {
        return needs_value(name);
      }
      (name == "--base-url" ? args.base_url : args.ca_file) = std::string(*v);
    } else if (name == "--requests") {
      error = count(args.requests, 1, 100'000'000);
    } else if (name == "--concurrency") {
      error = count(args.concurrency, 1, 10'000);
    } else if (name == "--warmup") {
      error = count(args.warmup, 0, 100'000'000);
    } else if (name == "--no-reuse") {
      args.reuse = false;
    } else if (name == "--json") {
      args.json = true;
    } else if (name == "--help" || name == "-h") {
      args.help = true;
    } else {
      return "unknown option '" + std::string(name) + "'";
    }
    if (error) {
      return error;
    }
  }
  if (!args.help && args.base_url.empty()) {
    return std::string("--base-url is required");
  }
  return std::nullopt;
}

microseconds to_us(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + microseconds(tv.tv_usec);
}

microseconds process_cpu() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    return microseconds(0);
  }
  return to_us(usage.ru_utime) + to_us(usage.ru_stime);
}

long peak_rss_kb() {
  rusage usage{};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0; // kilobytes on Linux
}

// Nearest-rank percentile of sorted samples, as talkory-bench computes it.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// The body is kept (as a client that uses it would) in a buffer reused across requests.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct easy_deleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using easy_ptr = std::unique_ptr<CURL, easy_deleter>;

struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using slist_ptr = std::unique_ptr<curl_slist, slist_deleter>;

// One transfer slot: a handle configured once and reused for every request it makes.
struct transfer {
  easy_ptr handle;
  std::string body;
  steady::time_point started;
};

// What every run shares.
struct run_state {
  std::size_t errors = 0;
  std::vector<std::int64_t> latencies_us;
  std::string first_error;
};

struct settings {
  std::string url;
  std::string ca_file;
  slist_ptr headers;
  CURLSH* share = nullptr;
  bool reuse = true;
};

bool configure(CURL* h, transfer& t, const settings& s) {
  bool ok = curl_easy_setopt(h, CURLOPT_URL, s.url.c_str()) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_HTTPHEADER, s.headers.get()) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
  if (!s.ca_file.empty()) {
    ok = ok && curl_easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str()) == CURLE_OK;
  }
  ok = ok && curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_WRITEDATA, &t.body) == CURLE_OK;
  // talkory's default timeouts: 10 s to connect (TCP + TLS here), 30 s for one attempt.
  ok = ok && curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10'000L) == CURLE_OK;
  ok = ok && curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30'000L) == CURLE_OK;
  if (!s.reuse) {
    ok = ok && curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L) == CURLE_OK;
  }
  if (s.share != nullptr) {
    ok = ok && curl_easy_setopt(h, CURLOPT_SHARE, s.share) == CURLE_OK;
  }
  return ok;
}

void start(transfer& t) {
  t.body.clear();
  t.started = steady::now();
}

// Records a finished transfer: a success is a 200 with a body.
void finish(transfer& t, CURLcode code, run_state& state, bool measured) {
  const auto elapsed = std::chrono::duration_cast<microseconds>(steady::now() - t.started);
  long status = 0;
  curl_easy_getinfo(t.handle.get(), CURLINFO_RESPONSE_CODE, &status);
  const bool ok = code == CURLE_OK && status == 200 && !t.body.empty();
  if (!measured) {
    return;
  }
  state.latencies_us.push_back(elapsed.count());
  if (!ok) {
    ++state.errors;
    if (state.first_error.empty()) {
      state.first_error = code != CURLE_OK ? std::string(curl_easy_strerror(code))
                                           : "HTTP status " + std::to_string(status);
    }
  }
}

// C = 1: one easy handle, requests one after the other on its kept-alive connection.
void run_easy(transfer& t, std::size_t count, run_state& state, bool measured) {
  for (std::size_t i = 0; i < count; ++i) {
    start(t);
    const auto code = curl_easy_perform(t.handle.get());
    finish(t, code, state, measured);
  }
}

// C > 1: C transfers in flight on one multi handle; each finished transfer starts the next
// request on the same easy handle until `count` have been started.
bool run_multi(CURLM* multi, std::vector<transfer>& slots, std::size_t count, run_state& state,
               bool measured) {
  std::size_t started = 0;
  std::size_t running_transfers = 0;
  for (auto& t : slots) {
    if (started == count) {
      break;
    }
    start(t);
    if (curl_multi_add_handle(multi, t.handle.get()) != CURLM_OK) {
      return false;
    }
    ++started;
    ++running_transfers;
  }
  while (running_transfers > 0) {
    int still_running = 0;
    if (curl_multi_perform(multi, &still_running) != CURLM_OK) {
      return false;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) {
        continue;
      }
      CURL* h = msg->easy_handle;
      const CURLcode code = msg->data.result;
      transfer* t = nullptr;
      curl_easy_getinfo(h, CURLINFO_PRIVATE, &t);
      finish(*t, code, state, measured);
      curl_multi_remove_handle(multi, h);
      --running_transfers;
      if (started < count) {
        start(*t);
        if (curl_multi_add_handle(multi, h) != CURLM_OK) {
          return false;
        }
        ++started;
        ++running_transfers;
      }
    }
    if (running_transfers > 0 && curl_multi_poll(multi, nullptr, 0, 1000, nullptr) != CURLM_OK) {
      return false;
    }
  }
  return true;
}

std::string json_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

struct measurements {
  double seconds = 0;
  microseconds cpu{0};
};

void print_results(const arguments& args, const run_state& state, const measurements& m) {
  auto sorted = state.latencies_us;
  std::ranges::sort(sorted);
  const double calls = static_cast<double>(sorted.size());
  const double rps = m.seconds > 0 ? calls / m.seconds : 0.0;
  const double cpu_per = calls > 0 ? static_cast<double>(m.cpu.count()) / calls : 0.0;
  const std::string_view interface = args.concurrency == 1 ? "easy" : "multi";
  const auto* version = curl_version_info(CURLVERSION_NOW);
  char line[1024];
  if (args.json) {
    std::snprintf(line, sizeof line,
                  "{\"client\":\"libcurl\",\"curl_version\":\"%s\",\"ssl_version\":\"%s\","
                  "\"interface\":\"%.*s\",\"requests\":%zu,\"concurrency\":%zu,\"warmup\":%zu,"
                  "\"reuse\":%s,\"errors\":%zu,\"seconds\":%.6f,\"requests_per_second\":%.1f,"
                  "\"latency_us\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"max\":%lld},"
                  "\"cpu_us_per_request\":%.2f,\"peak_rss_kb\":%ld",
                  version->version, version->ssl_version, static_cast<int>(interface.size()),
                  interface.data(), sorted.size(), args.concurrency, args.warmup,
                  args.reuse ? "true" : "false", state.errors, m.seconds, rps,
                  static_cast<long long>(percentile(sorted, 50)),
                  static_cast<long long>(percentile(sorted, 90)),
                  static_cast<long long>(percentile(sorted, 99)),
                  static_cast<long long>(sorted.empty() ? 0 : sorted.back()), cpu_per,
                  peak_rss_kb());
    std::cout << line;
    if (!state.first_error.empty()) {
      std::cout << ",\"first_error\":\"" << json_escaped(state.first_error) << '"';
    }
    std::cout << "}\n";
    return;
  }
  std::snprintf(line, sizeof line,
                "talkory-curl-peer: %zu requests (after %zu warm-up), concurrency %zu (%.*s "
                "interface), reuse %s\n"
                "libcurl:              %s, %s\n"
                "errors:               %zu\n"
                "wall time:            %.3f s\n"
                "throughput:           %.1f requests/s\n"
                "latency (us):         p50 %lld  p90 %lld  p99 %lld  max %lld\n"
                "cpu per request:      %.1f us (process)\n"
                "peak rss:             %ld kB\n",
                sorted.size(), args.warmup, args.concurrency, static_cast<int>(interface.size()),
                interface.data(), args.reuse ? "on" : "off", version->version, version->ssl_version,
                state.errors, m.seconds, rps, static_cast<long long>(percentile(sorted, 50)),
                static_cast<long long>(percentile(sorted, 90)),
                static_cast<long long>(percentile(sorted, 99)),
                static_cast<long long>(sorted.empty() ? 0 : sorted.back()), cpu_per, peak_rss_kb());
  std::cout << line;
}

// The share's locks: the peer is single-threaded, so there is nothing to lock.
void share_lock(CURL*, curl_lock_data, curl_lock_access, void*) {}
void share_unlock(CURL*, curl_lock_data, void*) {}

int run(int argc, char** argv) {
  arguments args;
  if (const auto error = parse_arguments(argc, argv, args)) {
    std::cerr << program << ": " << *error << "\nTry '" << program << " --help'.\n";
    return exit_usage;
  }
  if (args.help) {
    std::cout << usage_text;
    return exit_ok;
  }
  const char* key = std::getenv("TALKORY_API_KEY");
  if (key == nullptr || *key == '\0') {
    std::cerr << program << ": error: set TALKORY_API_KEY to the key for --base-url\n";
    return exit_error;
  }

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::cerr << program << ": error: curl_global_init failed\n";
    return exit_error;
  }
  settings s;
  s.url = args.base_url;
  while (!s.url.empty() && s.url.back() == '/') {
    s.url.pop_back();
  }
  s.url += "/v1/health/llm";
  s.ca_file = args.ca_file;
  s.reuse = args.reuse;
  // The same request headers as talkory's (Host comes from the URL, as there).
  const std::string authorization = std::string("Authorization: Bearer ") + key;
  curl_slist* headers = curl_slist_append(nullptr, authorization.c_str());
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "User-Agent: talkory-cpp/" TALKORY_VERSION_STRING);
  s.headers.reset(headers);
  // With --no-reuse every request opens a connection; the share hands each one the TLS session
  // of an earlier one, as talkory's pool does, so every handshake after the first is resumed.
  if (!args.reuse) {
    s.share = curl_share_init();
    curl_share_setopt(s.share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(s.share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(s.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(s.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }

  std::vector<transfer> slots(args.concurrency);
  for (auto& t : slots) {
    t.handle.reset(curl_easy_init());
    t.body.reserve(4096);
    if (!t.handle || !configure(t.handle.get(), t, s) ||
        curl_easy_setopt(t.handle.get(), CURLOPT_PRIVATE, &t) != CURLE_OK) {
      std::cerr << program << ": error: cannot configure a libcurl handle\n";
      return exit_error;
    }
  }
  CURLM* multi = nullptr;
  if (args.concurrency > 1) {
    multi = curl_multi_init();
    if (multi == nullptr) {
      std::cerr << program << ": error: curl_multi_init failed\n";
      return exit_error;
    }
  }

  run_state state;
  state.latencies_us.reserve(args.requests);
  const auto phase = [&](std::size_t count, bool measured) {
    if (multi == nullptr) {
      run_easy(slots.front(), count, state, measured);
      return true;
    }
    return run_multi(multi, slots, count, state, measured);
  };
  bool ok = phase(args.warmup, false);
  measurements m;
  const auto cpu_start = process_cpu();
  const auto start = steady::now();
  ok = ok && phase(args.requests, true);
  m.seconds = std::chrono::duration<double>(steady::now() - start).count();
  m.cpu = process_cpu() - cpu_start;

  slots.clear(); // the easy handles go before the multi and the share they were part of
  if (multi != nullptr) {
    curl_multi_cleanup(multi);
  }
  if (s.share != nullptr) {
    curl_share_cleanup(s.share);
  }
  if (!ok) {
    std::cerr << program << ": error: the libcurl multi interface failed\n";
    curl_global_cleanup();
    return exit_error;
  }
  print_results(args, state, m);
  if (!state.first_error.empty()) {
    std::cerr << program << ": " << state.errors << " of " << state.latencies_us.size()
              << " requests failed; the first: " << state.first_error << '\n';
  }
  curl_global_cleanup();
  return state.errors == state.latencies_us.size() ? exit_error : exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << '\n';
  }
  return exit_error;
}
