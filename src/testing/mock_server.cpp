// The mock server's owner: the listening socket, the TLS context, the thread that runs the
// io_context, and the registry of live connections; the public members forward to mock_state.
#include <talkory/testing/mock_server.hpp>

#include "testing/certificates.hpp"
#include "testing/mock_session.hpp"
#include "testing/mock_state.hpp"
#include "testing/status_schedule.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <future>
#include <optional>
#include <thread>

namespace talkory::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Bounds the destructor even if a connection ignored its close (it never should).
constexpr auto stop_grace = 5s;

void configure_tls(asio::ssl::context& context, const detail::pem_identity& leaf) {
  context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context.use_certificate_chain(asio::buffer(leaf.certificate));
  context.use_private_key(asio::buffer(leaf.private_key), asio::ssl::context::pem);
  // Resumption (session ids and tickets) lets tests count resumed handshakes; the id context is
  // required for a server to resume sessions at all.
  constexpr std::string_view id_context = "talkory-mock-server";
  SSL_CTX_set_session_id_context(native, reinterpret_cast<const unsigned char*>(id_context.data()),
                                 static_cast<unsigned int>(id_context.size()));
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
}

} // namespace

struct mock_server::impl {
  explicit impl(mock_server_options server_options)
      : options(std::move(server_options)), state(std::make_shared<detail::mock_state>(options)),
        authority(detail::make_certificate_authority()), acceptor(io) {
    if (options.tls) {
      tls.emplace(asio::ssl::context::tls_server);
      configure_tls(*tls, detail::make_leaf_certificate(options.certificate, authority));
    }
    const asio::ip::tcp::endpoint endpoint{asio::ip::address_v4::loopback(), options.port};
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();

    asio::co_spawn(io, accept_loop(), asio::detached);
    schedule.flip_every(options.flip_every);
    stopped = stopped_promise.get_future();
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    asio::post(io, [this] { stop_all(); });
    if (stopped.wait_for(stop_grace) != std::future_status::ready) {
      io.stop();
    }
    thread.join();
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void run() noexcept {
    for (;;) {
      try {
        io.run();
        break;
      } catch (...) {
        // Nothing should throw here; if something does, keep serving the other connections.
      }
    }
    stopped_promise.set_value();
  }

  asio::awaitable<void> accept_loop() {
    constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(nothrow);
      if (!acceptor.is_open()) {
        co_return;
      }
      if (ec) {
        // Out of descriptors, say: pause rather than spin, then keep accepting.
        asio::steady_timer pause{io, 10ms};
        co_await pause.async_wait(nothrow);
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      state->count_connection_accepted();
      std::erase_if(sessions, [](const auto& session) { return session.expired(); });
      try {
        sessions.push_back(detail::start_session(
            std::move(socket), tls ? &*tls : nullptr, state,
            {.idle_timeout = options.idle_timeout, .max_request_body = options.max_request_body}));
      } catch (...) {
        state->count_connection_closed(); // no memory or no SSL object: drop this one connection
      }
    }
  }

  /// Runs `job` on the server's thread once the handlers queued before it have run, and waits
  /// for it, so its effect is visible on return.
  template <class Job>
  void run_on_server_thread(Job job) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    // A client may see the last byte of a response a moment before the server's thread has
    // even queued that write's completion (send() returns, then the completion is posted).
    // Going round the queue twice lets such a connection reach its idle state first, so a
    // test that calls close_idle_connections() right after a response sees it closed.
    asio::post(io, [this, done, job = std::move(job)]() mutable {
      asio::post(io, [done, job = std::move(job)]() mutable {
        job();
        done->set_value();
      });
    });
    finished.wait();
  }

  void stop_all() noexcept {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    schedule.stop();
    for (const auto& weak : sessions) {
      if (auto session = weak.lock()) {
        session->close();
      }
    }
    sessions.clear();
  }

  void close_idle() noexcept {
    for (const auto& weak : sessions) {
      if (auto session = weak.lock(); session && session->idle()) {
        session->close();
      }
    }
  }

  // Declaration order is destruction order reversed: the io_context goes before the state its
  // pending coroutines use, after the acceptor that needs it.
  const mock_server_options options;
  const std::shared_ptr<detail::mock_state> state;
  const detail::pem_identity authority;
  std::optional<asio::ssl::context> tls;
  asio::io_context io{1};
  asio::ip::tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::vector<std::weak_ptr<detail::mock_session>> sessions; // server thread only
  detail::status_schedule schedule{io, state};               // server thread only
  std::promise<void> stopped_promise;
  std::future<void> stopped;
  std::thread thread;
};

mock_server::mock_server(mock_server_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

mock_server::~mock_server() = default;

std::uint16_t mock_server::port() const noexcept {
  return impl_->port;
}

std::string mock_server::base_url() const {
  return std::string(impl_->options.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->port);
}

const std::string& mock_server::ca_pem() const noexcept {
  return impl_->authority.certificate;
}

void mock_server::set_provider_status(const std::string& provider, const std::string& status) {
  impl_->state->set_provider_status(provider, status);
}

void mock_server::invalidate_cache() {
  impl_->state->invalidate_cache();
}

void mock_server::script_provider_statuses(std::vector<status_step> steps) {
  impl_->state->script_provider_statuses(std::move(steps));
}

std::size_t mock_server::pending_status_steps() const {
  return impl_->state->pending_status_steps();
}

void mock_server::set_provider_schedule(std::vector<status_step> steps) {
  asio::post(impl_->io, [impl = impl_.get(), steps = std::move(steps)]() mutable {
    impl->schedule.run_steps(std::move(steps));
  });
}

void mock_server::add_key(mock_key key) {
  impl_->state->add_key(std::move(key));
}

void mock_server::script(scripted_response response) {
  impl_->state->script(std::move(response));
}

void mock_server::script(int status, std::string body,
                         std::vector<std::pair<std::string, std::string>> headers) {
  scripted_response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  script(std::move(response));
}

void mock_server::close_idle_connections() {
  impl_->run_on_server_thread([impl = impl_.get()] { impl->close_idle(); });
}

std::vector<std::chrono::steady_clock::time_point> mock_server::admitted_times() const {
  return impl_->state->admitted_times();
}

std::size_t mock_server::max_admitted_in_any_window(std::chrono::milliseconds window) const {
  const auto times = admitted_times(); // ascending: admitted in order under one mutex
  std::size_t best = 0;
  std::size_t first = 0;
  for (std::size_t last = 0; last < times.size(); ++last) {
    while (times[last] - times[first] >= window) {
      ++first;
    }
    best = std::max(best, last - first + 1);
  }
  return best;
}

mock_counters mock_server::counters() const {
  return impl_->state->counters();
}

bool mock_server::wait_for_no_open_connections(std::chrono::milliseconds bound) const {
  return impl_->state->wait_for_no_open_connections(bound);
}

void mock_server::reset_counters() {
  impl_->state->reset_counters();
}

} // namespace talkory::testing
