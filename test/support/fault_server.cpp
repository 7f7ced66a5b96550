// The fault server: one coroutine per connection, on the server's own thread, plays its script.
// TLS runs through memory BIOs driven by hand, so that every record, close_notify and FIN goes
// out exactly when the script says (Asio's ssl::stream would couple close_notify to waiting for
// the peer's), and every raw read and write is bounded by the tcp_stream's expiry.
#include "support/fault_server.hpp"

#include "support/test_certificates.hpp"
#include "testing/certificates.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace talkory::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
// Bounds the destructor even if a connection ignored its close (it never should).
constexpr auto stop_grace = 5s;
constexpr std::size_t io_chunk = 16 * 1024;

template <auto Free>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, openssl_deleter<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, openssl_deleter<SSL_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free>>;
using key_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;

std::string openssl_reason() {
  std::array<char, 256> text{};
  const unsigned long code = ERR_peek_last_error();
  if (code == 0)
    return {};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

void require(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string("fault_server: ") + what + ": " + openssl_reason());
}

bio_ptr read_only_bio(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  require(bio != nullptr, "BIO_new_mem_buf");
  return bio;
}

/// A certificate chain and key ready to be put on an SSL object.
struct loaded_identity {
  x509_ptr leaf;
  key_ptr key;
  std::vector<x509_ptr> chain; // sent after the leaf
};

loaded_identity load(const pem_identity& leaf, const pem_identity* intermediate) {
  loaded_identity out;
  auto cert_bio = read_only_bio(leaf.certificate);
  out.leaf.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  auto key_bio = read_only_bio(leaf.private_key);
  out.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  require(out.leaf && out.key, "PEM_read_bio");
  if (intermediate != nullptr) {
    auto bio = read_only_bio(intermediate->certificate);
    out.chain.emplace_back(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    require(out.chain.back() != nullptr, "PEM_read_bio_X509");
  }
  return out;
}

void apply_versions(SSL* ssl, tls_versions versions) {
  int low = TLS1_2_VERSION;
  int high = 0; // the highest the library supports
  bool legacy = false;
  switch (versions) {
  case tls_versions::modern:
    break;
  case tls_versions::tls1_2_only:
    high = TLS1_2_VERSION;
    break;
  case tls_versions::tls1_3_only:
    low = high = TLS1_3_VERSION;
    break;
  case tls_versions::legacy_only:
    low = TLS1_VERSION;
    high = TLS1_1_VERSION;
    legacy = true;
    break;
  case tls_versions::tls1_0_only:
    low = high = TLS1_VERSION;
    legacy = true;
    break;
  case tls_versions::tls1_1_only:
    low = high = TLS1_1_VERSION;
    legacy = true;
    break;
  }
  if (legacy) {
    // OpenSSL 3 refuses TLS < 1.2 at security level 1 and above (and SHA-1 signatures with it).
    SSL_set_security_level(ssl, 0);
    require(SSL_set_cipher_list(ssl, "DEFAULT:@SECLEVEL=0") == 1, "SSL_set_cipher_list");
  }
  require(SSL_set_min_proto_version(ssl, low) == 1 && SSL_set_max_proto_version(ssl, high) == 1,
          "SSL_set_proto_version");
}

} // namespace

// ---- steps and helpers ------------------------------------------------------------------------

namespace {

fault_step make_step(fault_step::kind what, std::string bytes = {}, std::size_t count = 0,
                     std::chrono::milliseconds interval = 0ms, bool flag = false) {
  fault_step step;
  step.what = what;
  step.bytes = std::move(bytes);
  step.count = count;
  step.interval = interval;
  step.flag = flag;
  return step;
}

} // namespace

fault_step fault_step::read_request() {
  return make_step(kind::read_request);
}
fault_step fault_step::read_bytes(std::size_t count) {
  return make_step(kind::read_bytes, {}, count);
}
fault_step fault_step::serve(std::string response) {
  return make_step(kind::serve, std::move(response));
}
fault_step fault_step::serve() {
  return serve(ok_response());
}
fault_step fault_step::send(std::string bytes) {
  return make_step(kind::send, std::move(bytes));
}
fault_step fault_step::drip(std::string bytes, std::size_t per_write,
                            std::chrono::milliseconds interval) {
  return make_step(kind::drip, std::move(bytes), std::max<std::size_t>(per_write, 1), interval);
}
fault_step fault_step::close_after(std::string bytes, std::size_t count) {
  return make_step(kind::close_after, std::move(bytes), count);
}
fault_step fault_step::close() {
  return make_step(kind::close);
}
fault_step fault_step::reset() {
  return make_step(kind::reset);
}
fault_step fault_step::stall() {
  return make_step(kind::stall);
}
fault_step fault_step::checkpoint() {
  return make_step(kind::checkpoint);
}
fault_step fault_step::tls_shutdown(bool wait_for_peer) {
  return make_step(kind::tls_shutdown, {}, 0, 0ms, wait_for_peer);
}
fault_step fault_step::await_close_notify(bool answer) {
  return make_step(kind::await_close_notify, {}, 0, 0ms, answer);
}

std::string health_json() {
  return R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{)"
         R"("gpt":{"status":"ok"},"claude":{"status":"ok"},"gemini":{"status":"ok"},)"
         R"("grok":{"status":"error"},"perplexity":{"status":"ok"}}})";
}

std::string ok_response(std::string_view extra_headers, std::string_view body) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

std::string chunked(std::string_view body, std::size_t chunk) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  chunk = std::max<std::size_t>(chunk, 1);
  for (std::size_t pos = 0; pos < body.size(); pos += chunk) {
    const auto piece = body.substr(pos, chunk);
    std::string size;
    for (auto n = piece.size(); n > 0; n /= 16)
      size.insert(size.begin(), hex[n % 16]);
    out += size + "\r\n";
    out += piece;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

connection_script good_connection() {
  connection_script script;
  script.steps = {fault_step::serve()};
  return script;
}

// ---- the server -------------------------------------------------------------------------------

class fault_session;

struct fault_server::impl {
  explicit impl(fault_server_options o);
  ~impl();
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void run() noexcept;
  asio::awaitable<void> accept_loop();
  void stop_all() noexcept;
  template <class Job>
  void run_on_server_thread(Job job);

  /// Applies `change` to record `index` under the lock and wakes the waiters.
  template <class Change>
  void update(std::size_t index, Change change) {
    {
      std::lock_guard lock(mutex);
      change(records.at(index));
    }
    changed.notify_all();
  }
  void count_checkpoint() {
    {
      std::lock_guard lock(mutex);
      ++checkpoints;
    }
    changed.notify_all();
  }

  const fault_server_options options;

  // TLS material: made once, read-only afterwards.
  pem_identity root;
  std::map<tls_identity, loaded_identity> identities;
  ctx_ptr ssl_ctx;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::deque<connection_script> queue;    // guarded by mutex
  std::vector<connection_record> records; // guarded by mutex
  std::size_t checkpoints = 0;            // guarded by mutex

  // Declared after what the sessions use, so that it is destroyed first.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::vector<std::weak_ptr<fault_session>> sessions; // server thread only
  std::promise<void> stopped_promise;
  std::future<void> stopped;
  std::thread thread;
};

/// One connection playing its script. Lives as long as its coroutine; every member is used on
/// the server's thread only.
class fault_session : public std::enable_shared_from_this<fault_session> {
public:
  fault_session(fault_server::impl& owner, asio::ip::tcp::socket socket, std::size_t index,
                connection_script script)
      : owner_(owner), tcp_(std::move(socket)), stall_timer_(tcp_.get_executor()),
        pause_timer_(tcp_.get_executor()), index_(index), script_(std::move(script)) {}

  static asio::awaitable<void> run(std::shared_ptr<fault_session> self) {
    try {
      co_await self->play();
    } catch (...) {
      // A script never takes the server down; its connection just ends.
    }
    self->finish();
  }

  /// The server stops: every wait ends at once.
  void stop() noexcept {
    stopping_ = true;
    stall_timer_.cancel();
    pause_timer_.cancel();
    tcp_.close();
  }
  void release_stall() noexcept { stall_timer_.cancel(); }

private:
  struct tls_outcome {
    int ret = 0;
    int error = SSL_ERROR_NONE;
    error_code ec;      // a raw read or write failed
    std::string reason; // OpenSSL's reason, when it failed
  };
  struct chunk {
    std::size_t size = 0;
    bool close_notify = false; // the peer's close_notify ended the stream
    bool ended = false;        // nothing more will come
  };

  bool tls_server() const noexcept { return owner_.ssl_ctx != nullptr; }
  bool open() const noexcept { return !stopping_ && tcp_.socket().is_open(); }

  asio::awaitable<void> play() {
    if (tls_server() && script_.handshake) {
      const bool secured = co_await handshake();
      if (!secured)
        co_return;
    }
    for (const auto& step : script_.steps) {
      if (!open())
        co_return;
      const bool go_on = co_await play_step(step);
      if (!go_on)
        co_return;
    }
    co_await drain(true);
  }

  asio::awaitable<bool> play_step(const fault_step& step) {
    using kind = fault_step::kind;
    switch (step.what) {
    case kind::read_request:
      co_return co_await read_request();
    case kind::read_bytes:
      for (const auto target = bytes_seen_ + step.count; bytes_seen_ < target;) {
        const auto got = co_await receive();
        if (got.ended)
          co_return false;
      }
      co_return true;
    case kind::serve:
      for (;;) {
        const bool got = co_await read_request();
        if (!got)
          co_return false;
        const bool sent = co_await send(step.bytes);
        if (!sent)
          co_return false;
      }
    case kind::send:
      co_return co_await send(step.bytes);
    case kind::drip:
      for (std::size_t pos = 0; pos < step.bytes.size(); pos += step.count) {
        const bool sent = co_await send(std::string_view(step.bytes).substr(pos, step.count));
        if (!sent)
          co_return false;
        if (step.interval > 0ms) {
          pause_timer_.expires_after(step.interval);
          co_await pause_timer_.async_wait(nothrow);
          if (!open())
            co_return false;
        }
      }
      co_return true;
    case kind::close_after: {
      const bool sent = co_await send(std::string_view(step.bytes).substr(0, step.count));
      if (sent)
        co_await close_with_fin();
      co_return false;
    }
    case kind::close:
      co_await close_with_fin();
      co_return false;
    case kind::reset: {
      error_code ignored;
      tcp_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
      tcp_.close();
      owner_.update(index_, [](connection_record& r) { r.server_closed = true; });
      co_return false;
    }
    case kind::stall:
      stall_timer_.expires_after(owner_.options.stall_limit);
      co_await stall_timer_.async_wait(nothrow);
      co_return open();
    case kind::checkpoint:
      owner_.count_checkpoint();
      co_return true;
    case kind::tls_shutdown: {
      if (!encrypted_)
        co_return true;
      const bool sent = co_await send_close_notify();
      if (!sent)
        co_return false;
      if (!step.flag)
        co_return true;
      for (;;) {
        const auto got = co_await receive();
        if (got.close_notify)
          co_return true;
        if (got.ended)
          co_return false;
      }
    }
    case kind::await_close_notify:
      for (;;) {
        const auto got = co_await receive();
        if (got.close_notify)
          break;
        if (got.ended)
          co_return false;
      }
      if (step.flag && encrypted_)
        co_return co_await send_close_notify();
      co_return true;
    }
    co_return false;
  }

  // ---- TLS ----

  asio::awaitable<bool> handshake() {
    ssl_.reset(SSL_new(owner_.ssl_ctx.get()));
    require(ssl_ != nullptr, "SSL_new");
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    require(in != nullptr && out != nullptr, "BIO_new");
    BIO_set_mem_eof_return(in, -1); // an empty input is "want more", not the end
    SSL_set_bio(ssl_.get(), in, out);
    in_bio_ = in;
    out_bio_ = out;
    const auto& id = owner_.identities.at(script_.identity);
    // The server itself must accept to present what a client at security level 2 refuses.
    if (script_.identity == tls_identity::weak_rsa_key ||
        script_.identity == tls_identity::sha1_signature)
      SSL_set_security_level(ssl_.get(), 0);
    require(SSL_use_certificate(ssl_.get(), id.leaf.get()) == 1 &&
                SSL_use_PrivateKey(ssl_.get(), id.key.get()) == 1,
            "SSL_use_certificate");
    for (const auto& cert : id.chain)
      require(SSL_add1_chain_cert(ssl_.get(), cert.get()) == 1, "SSL_add1_chain_cert");
    apply_versions(ssl_.get(), script_.versions);
    SSL_set_accept_state(ssl_.get());

    SSL* ssl = ssl_.get();
    const auto outcome = co_await drive([ssl] { return SSL_do_handshake(ssl); });
    const bool done = outcome.ret == 1;
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::string error;
    if (!done)
      error = !outcome.reason.empty() ? outcome.reason
              : outcome.ec            ? outcome.ec.message()
                                      : "SSL error " + std::to_string(outcome.error);
    std::string protocol = done ? SSL_get_version(ssl) : "";
    owner_.update(index_, [&](connection_record& r) {
      r.handshake_completed = done;
      r.handshake_error = std::move(error);
      if (sni != nullptr)
        r.sni = sni;
      r.protocol = std::move(protocol);
      if (outcome.ec == asio::error::eof || outcome.ec == asio::error::connection_reset)
        r.peer_closed = true;
    });
    encrypted_ = done;
    co_return done;
  }

  /// Runs `op` (an SSL call) until it no longer wants input, writing whatever it produced.
  template <class Op>
  asio::awaitable<tls_outcome> drive(Op op) {
    for (;;) {
      ERR_clear_error();
      tls_outcome outcome;
      outcome.ret = op();
      if (outcome.ret <= 0) {
        outcome.error = SSL_get_error(ssl_.get(), outcome.ret);
        if (outcome.error == SSL_ERROR_SSL)
          outcome.reason = openssl_reason();
      }
      outcome.ec = co_await flush_tls();
      if (outcome.ec || outcome.error != SSL_ERROR_WANT_READ)
        co_return outcome;
      auto [ec, n] = co_await read_raw();
      if (ec) {
        outcome.ec = ec;
        co_return outcome;
      }
      BIO_write(in_bio_, raw_.data(), static_cast<int>(n));
    }
  }

  asio::awaitable<error_code> flush_tls() {
    while (BIO_ctrl_pending(out_bio_) > 0) {
      const int n = BIO_read(out_bio_, out_.data(), static_cast<int>(out_.size()));
      if (n <= 0)
        break;
      const auto ec =
          co_await write_raw(std::string_view(out_.data(), static_cast<std::size_t>(n)));
      if (ec)
        co_return ec;
    }
    co_return error_code{};
  }

  asio::awaitable<bool> send_close_notify() {
    SSL* ssl = ssl_.get();
    const auto outcome = co_await drive([ssl] { return SSL_shutdown(ssl); });
    encrypted_ = false; // nothing more can be sent on this TLS session
    if (outcome.ec)
      co_return false;
    owner_.update(index_, [](connection_record& r) { r.close_notify_sent = true; });
    co_return true;
  }

  // ---- bytes ----

  asio::awaitable<error_code> write_raw(std::string_view bytes) {
    tcp_.expires_after(owner_.options.io_timeout);
    auto [ec, n] =
        co_await asio::async_write(tcp_, asio::buffer(bytes.data(), bytes.size()), nothrow);
    co_return ec;
  }

  asio::awaitable<std::tuple<error_code, std::size_t>> read_raw() {
    tcp_.expires_after(owner_.options.io_timeout);
    auto [ec, n] = co_await tcp_.async_read_some(asio::buffer(raw_), nothrow);
    co_return std::tuple{ec, n};
  }

  /// Writes application bytes: through TLS once the handshake is done, raw otherwise.
  asio::awaitable<bool> send(std::string_view bytes) {
    if (bytes.empty())
      co_return true;
    if (tls_server() && script_.handshake) {
      if (!encrypted_)
        co_return false; // after our close_notify
      SSL* ssl = ssl_.get();
      const auto outcome = co_await drive([ssl, bytes] {
        std::size_t written = 0;
        return SSL_write_ex(ssl, bytes.data(), bytes.size(), &written);
      });
      co_return outcome.ret == 1 && !outcome.ec;
    }
    const auto ec = co_await write_raw(bytes);
    co_return !ec;
  }

  /// Reads the next application bytes into app_ (raw_ holds the bytes without TLS).
  asio::awaitable<chunk> receive() {
    chunk got;
    error_code ec;
    if (tls_server() && script_.handshake) {
      SSL* ssl = ssl_.get();
      std::size_t n = 0;
      auto* data = app_.data();
      const auto size = app_.size();
      const auto outcome =
          co_await drive([ssl, data, size, &n] { return SSL_read_ex(ssl, data, size, &n); });
      if (outcome.ret == 1) {
        got.size = n;
        feed(std::string_view(app_.data(), n));
        co_return got;
      }
      got.ended = true;
      if (outcome.error == SSL_ERROR_ZERO_RETURN) {
        got.close_notify = true;
        owner_.update(index_, [](connection_record& r) { r.close_notify_received = true; });
        co_return got;
      }
      ec = outcome.ec;
    } else {
      std::size_t n = 0;
      std::tie(ec, n) = co_await read_raw();
      if (!ec) {
        got.size = n;
        feed(std::string_view(raw_.data(), n));
        co_return got;
      }
      got.ended = true;
    }
    if (ec == asio::error::eof || ec == asio::error::connection_reset)
      owner_.update(index_, [](connection_record& r) { r.peer_closed = true; });
    co_return got;
  }

  /// Records received bytes, and each request head once its blank line is in.
  void feed(std::string_view bytes) {
    const bool requests = !tls_server() || script_.handshake; // raw TLS bytes are no requests
    std::vector<std::string> heads;
    if (requests) {
      pending_.append(bytes);
      for (auto end = pending_.find("\r\n\r\n"); end != std::string::npos;
           end = pending_.find("\r\n\r\n")) {
        heads.push_back(pending_.substr(0, end + 4));
        pending_.erase(0, end + 4);
      }
    }
    bytes_seen_ += bytes.size();
    requests_seen_ += heads.size();
    owner_.update(index_, [&](connection_record& r) {
      r.received.append(bytes);
      for (auto& head : heads)
        r.requests.push_back(std::move(head));
    });
  }

  asio::awaitable<bool> read_request() {
    while (requests_seen_ == requests_taken_) {
      const auto got = co_await receive();
      if (got.ended)
        co_return false;
    }
    ++requests_taken_;
    co_return true;
  }

  /// Reads (and records) until the peer closes; a close_notify is answered when `answer`.
  asio::awaitable<void> drain(bool answer) {
    while (open()) {
      const auto got = co_await receive();
      if (got.close_notify && answer && encrypted_)
        co_await send_close_notify();
      if (got.ended)
        break;
    }
  }

  /// A FIN, then the peer's bytes until it closes too: closing a socket with unread input makes
  /// the kernel send a reset instead.
  asio::awaitable<void> close_with_fin() {
    error_code ignored;
    tcp_.socket().shutdown(asio::socket_base::shutdown_send, ignored);
    encrypted_ = false;
    owner_.update(index_, [](connection_record& r) { r.server_closed = true; });
    co_await drain(false);
  }

  void finish() noexcept {
    tcp_.close();
    try {
      owner_.update(index_, [](connection_record& r) { r.finished = true; });
    } catch (...) {
    }
  }

  fault_server::impl& owner_;
  beast::tcp_stream tcp_;
  asio::steady_timer stall_timer_;
  asio::steady_timer pause_timer_;
  const std::size_t index_;
  const connection_script script_;
  bool stopping_ = false;
  bool encrypted_ = false; // the handshake is done and no close_notify was sent
  ssl_ptr ssl_;
  BIO* in_bio_ = nullptr;  // owned by ssl_
  BIO* out_bio_ = nullptr; // owned by ssl_
  std::string pending_;    // received bytes after the last complete request head
  std::size_t bytes_seen_ = 0;
  std::size_t requests_seen_ = 0;
  std::size_t requests_taken_ = 0;
  std::array<char, io_chunk> raw_{};
  std::array<char, io_chunk> out_{};
  std::array<char, io_chunk> app_{};
};

fault_server::impl::impl(fault_server_options o) : options(o) {
  if (options.tls) {
    namespace td = testing::detail;
    using testing::certificate_kind;
    root = td::make_certificate_authority();
    const auto other_root = td::make_certificate_authority();
    certificate_request intermediate_request;
    intermediate_request.common_name = "talkory fault intermediate CA";
    intermediate_request.alt_names.clear();
    intermediate_request.certificate_authority = true;
    const auto intermediate = make_certificate(intermediate_request, &root);
    const auto under_intermediate = make_certificate({}, &intermediate);
    constexpr long day = 24L * 60 * 60;
    identities.emplace(tls_identity::valid,
                       load(td::make_leaf_certificate(certificate_kind::valid, root), nullptr));
    identities.emplace(tls_identity::expired,
                       load(td::make_leaf_certificate(certificate_kind::expired, root), nullptr));
    certificate_request future;
    future.not_before = day;
    future.not_after = 2 * day;
    identities.emplace(tls_identity::not_yet_valid, load(make_certificate(future, &root), nullptr));
    identities.emplace(
        tls_identity::wrong_host,
        load(td::make_leaf_certificate(certificate_kind::wrong_host, root), nullptr));
    certificate_request other_ip;
    other_ip.alt_names = "DNS:localhost,IP:127.0.0.2";
    identities.emplace(tls_identity::wrong_ip, load(make_certificate(other_ip, &root), nullptr));
    identities.emplace(tls_identity::cn_only,
                       load(td::make_leaf_certificate(certificate_kind::cn_only, root), nullptr));
    identities.emplace(
        tls_identity::self_signed,
        load(td::make_leaf_certificate(certificate_kind::self_signed, root), nullptr));
    identities.emplace(
        tls_identity::untrusted_root,
        load(td::make_leaf_certificate(certificate_kind::valid, other_root), nullptr));
    identities.emplace(tls_identity::missing_intermediate, load(under_intermediate, nullptr));
    identities.emplace(tls_identity::with_intermediate, load(under_intermediate, &intermediate));
    certificate_request weak_key;
    weak_key.rsa_bits = 1024;
    identities.emplace(tls_identity::weak_rsa_key,
                       load(make_certificate(weak_key, &root), nullptr));
    certificate_request sha1;
    sha1.sha1_signed = true;
    identities.emplace(tls_identity::sha1_signature, load(make_certificate(sha1, &root), nullptr));

    ssl_ctx.reset(SSL_CTX_new(TLS_server_method()));
    require(ssl_ctx != nullptr, "SSL_CTX_new");
    SSL_CTX* ctx = ssl_ctx.get();
    // Every handshake is a full one, so each connection's certificate is really checked: a
    // session resumed from an earlier, valid connection would skip the certificate.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    // Only the chain a script names is sent; never one completed from a store.
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
  }

  const asio::ip::tcp::endpoint endpoint{asio::ip::address_v4::loopback(), 0};
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port = acceptor.local_endpoint().port();

  asio::co_spawn(io, accept_loop(), asio::detached);
  stopped = stopped_promise.get_future();
  thread = std::thread([this] { run(); });
}

fault_server::impl::~impl() {
  asio::post(io, [this] { stop_all(); });
  if (stopped.wait_for(stop_grace) != std::future_status::ready)
    io.stop();
  thread.join();
}

void fault_server::impl::run() noexcept {
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

asio::awaitable<void> fault_server::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(nothrow);
    if (!acceptor.is_open())
      co_return;
    if (ec) {
      // Out of descriptors, say: pause rather than spin, then keep accepting.
      asio::steady_timer pause{io, 10ms};
      co_await pause.async_wait(nothrow);
      continue;
    }
    error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    std::optional<connection_script> next;
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex);
      index = records.size();
      records.emplace_back();
      if (!queue.empty()) {
        next = std::move(queue.front());
        queue.pop_front();
        records.back().scripted = true;
      }
    }
    changed.notify_all();
    if (!next) {
      next.emplace();
      next->steps = {fault_step::close()};
      next->handshake = false;
    }
    std::erase_if(sessions, [](const auto& weak) { return weak.expired(); });
    auto session =
        std::make_shared<fault_session>(*this, std::move(socket), index, std::move(*next));
    sessions.push_back(session);
    asio::co_spawn(io, fault_session::run(std::move(session)), asio::detached);
  }
}

void fault_server::impl::stop_all() noexcept {
  error_code ignored;
  acceptor.close(ignored);
  for (const auto& weak : sessions)
    if (auto session = weak.lock())
      session->stop();
  sessions.clear();
}

template <class Job>
void fault_server::impl::run_on_server_thread(Job job) {
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  asio::post(io, [done, job = std::move(job)]() mutable {
    job();
    done->set_value();
  });
  // Bounded: the server's thread only ever runs short handlers.
  finished.wait_for(stop_grace);
}

// ---- fault_server -----------------------------------------------------------------------------

fault_server::fault_server(fault_server_options options) : impl_(std::make_unique<impl>(options)) {}

fault_server::~fault_server() = default;

std::uint16_t fault_server::port() const noexcept {
  return impl_->port;
}

bool fault_server::tls() const noexcept {
  return impl_->options.tls;
}

std::string fault_server::base_url() const {
  return base_url_for("127.0.0.1");
}

std::string fault_server::base_url_for(std::string_view host) const {
  return std::string(tls() ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port());
}

const std::string& fault_server::ca_pem() const noexcept {
  return impl_->root.certificate;
}

void fault_server::script(connection_script script) {
  std::lock_guard lock(impl_->mutex);
  impl_->queue.push_back(std::move(script));
}

void fault_server::script(std::vector<fault_step> steps) {
  connection_script s;
  s.steps = std::move(steps);
  script(std::move(s));
}

std::size_t fault_server::scripts_pending() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.size();
}

void fault_server::release_stalled() {
  impl_->run_on_server_thread([state = impl_.get()] {
    for (const auto& weak : state->sessions)
      if (auto session = weak.lock())
        session->release_stall();
  });
}

std::size_t fault_server::connections_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records.size();
}

std::size_t fault_server::handshakes_completed() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& r : impl_->records)
    n += r.handshake_completed ? 1 : 0;
  return n;
}

std::vector<connection_record> fault_server::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records;
}

std::vector<std::string> fault_server::requests() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> out;
  for (const auto& r : impl_->records)
    out.insert(out.end(), r.requests.begin(), r.requests.end());
  return out;
}

std::size_t fault_server::bytes_received() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& r : impl_->records)
    n += r.received.size();
  return n;
}

std::size_t fault_server::checkpoints() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->checkpoints;
}

bool fault_server::wait_for_checkpoints(std::size_t n, std::chrono::milliseconds bound) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, bound, [&] { return impl_->checkpoints >= n; });
}

bool fault_server::wait_until(
    const std::function<bool(const std::vector<connection_record>&)>& done,
    std::chrono::milliseconds bound) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, bound, [&] { return done(impl_->records); });
}

bool fault_server::wait_until_finished(std::size_t index, std::chrono::milliseconds bound) const {
  return wait_until(
      [index](const auto& records) { return index < records.size() && records[index].finished; },
      bound);
}

} // namespace talkory::test
