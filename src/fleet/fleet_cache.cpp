// The fleet cache: GET the answer (with its PTTL, for the age), else SET NX PX the lease, else
// poll for the answer until the deadline; publish with SET PX and a compare-and-delete of the
// lease, so a refresher whose lease expired cannot free another's.
#include "fleet/fleet_cache.hpp"

#include <cstdio>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace talkory::detail {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A command's words. Not a braced list in the coroutine: GCC 12 cannot keep an
// initializer_list's array in a coroutine frame ("array used as initializer").
template <class... Words>
std::vector<std::string> words(Words&&... w) {
  std::vector<std::string> out;
  out.reserve(sizeof...(w));
  (out.emplace_back(std::forward<Words>(w)), ...);
  return out;
}

// Deletes the lease only while it is still ours.
constexpr std::string_view release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

} // namespace

std::string fleet_cache::make_token() const {
  char text[40];
  std::snprintf(text, sizeof text, "%016llx%016llx",
                static_cast<unsigned long long>(random_() * 18446744073709551615.0),
                static_cast<unsigned long long>(clock::now().time_since_epoch().count()));
  return text;
}

fleet_cache::fleet_cache(asio::any_io_executor executor, redis_connection_options redis,
                         std::string key_base, milliseconds ttl, milliseconds lease_lifetime,
                         unit_random random)
    : redis_(redis_connection::create(std::move(executor), std::move(redis), random)),
      base_(std::move(key_base)), ttl_(ttl), lease_lifetime_(lease_lifetime),
      random_(std::move(random)) {}

asio::awaitable<shared_answer_store::outcome> fleet_cache::obtain(std::string name,
                                                                  clock::time_point deadline) {
  const std::string answer_key = base_ + "answer:" + name;
  const std::string lease_key = base_ + "lease:" + name;
  // Unique enough to tell this refresher from any other (it is compared, never trusted).
  const std::string token = make_token();
  outcome out;
  for (;;) {
    auto [ec, value] = co_await redis_->async_command(words("GET", answer_key), use_tuple);
    if (ec)
      co_return out; // unavailable (or cancelled: the caller checks its own flag)
    if (value.type == redis_reply::kind::string) {
      auto [tec, ttl_left] = co_await redis_->async_command(words("PTTL", answer_key), use_tuple);
      const auto newline = value.text.find('\n');
      if (!tec && newline != std::string::npos) {
        out.kind = verdict::hit;
        out.request_id = value.text.substr(0, newline);
        out.body = value.text.substr(newline + 1);
        const auto left = milliseconds(ttl_left.type == redis_reply::kind::integer
                                           ? std::max<long long>(0, ttl_left.integer)
                                           : 0);
        out.age = std::max(milliseconds::zero(), ttl_ - left);
        co_return out;
      }
    }
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    if (remaining <= milliseconds::zero()) {
      out.kind = verdict::timeout;
      co_return out;
    }
    const auto lease_ms = std::max(milliseconds{1}, std::min(lease_lifetime_, remaining));
    auto [lec, lease] = co_await redis_->async_command(
        words("SET", lease_key, token, "NX", "PX", std::to_string(lease_ms.count())), use_tuple);
    if (lec)
      co_return out;
    if (lease.type == redis_reply::kind::status && lease.text == "OK") {
      out.kind = verdict::refresh;
      out.lease_token = token;
      co_return out;
    }
    // Another process is refreshing: look again shortly, within the deadline.
    asio::steady_timer pause(co_await asio::this_coro::executor);
    pause.expires_after(std::min<clock::duration>(poll_interval, deadline - clock::now()));
    auto [wec] = co_await pause.async_wait(use_tuple);
    if (wec)
      co_return out; // cancelled
  }
}

void fleet_cache::publish(std::string name, std::string request_id, std::string body,
                          std::string lease_token) {
  redis_->async_command({"SET", base_ + "answer:" + name, request_id + "\n" + body, "PX",
                         std::to_string(ttl_.count())},
                        [](std::error_code, redis_reply) {});
  release(std::move(name), std::move(lease_token));
}

void fleet_cache::release(std::string name, std::string lease_token) {
  redis_->async_command(
      {"EVAL", std::string(release_script), "1", base_ + "lease:" + name, std::move(lease_token)},
      [](std::error_code, redis_reply) {});
}

void fleet_cache::close() {
  redis_->close();
}

} // namespace talkory::detail
