// A raw-bytes fault server for tests: on 127.0.0.1, over TLS or plain TCP, each connection plays
// a script of exact wire steps (closes, resets, stalls, drips, unsolicited bytes, close_notify or
// not) while the server records what arrived (requests, SNI, handshakes, close_notify).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace talkory::test {

/// The certificate chain a TLS connection presents. A verifying client given ca_pem() must
/// refuse all but `valid` and `with_intermediate`.
enum class tls_identity {
  valid,                // leaf for localhost and 127.0.0.1, signed by the root (ca_pem())
  expired,              // ... whose validity ended a day ago
  not_yet_valid,        // ... whose validity starts in a day
  wrong_host,           // ... issued for wrong-host.invalid only
  wrong_ip,             // ... issued for localhost and 127.0.0.2: the right name, a wrong IP
  cn_only,              // ... subject CN=localhost and no subjectAltName at all
  self_signed,          // for localhost and 127.0.0.1, signed by its own key
  untrusted_root,       // for localhost and 127.0.0.1, signed by a root the client is not given
  missing_intermediate, // signed by an intermediate CA (under the root) that is not sent
  with_intermediate,    // the same leaf with its intermediate sent: a valid chain
  weak_rsa_key,         // leaf for localhost and 127.0.0.1 with an RSA-1024 key (security level 2
                        // wants 2048), signed by the root
  sha1_signature,       // leaf for localhost and 127.0.0.1 signed by the root with SHA-1
};

/// The TLS protocol versions a connection accepts.
enum class tls_versions {
  modern,      // TLS 1.2 and 1.3
  tls1_2_only, // TLS 1.2
  tls1_3_only, // TLS 1.3
  legacy_only, // TLS 1.0 and 1.1 (at security level 0: OpenSSL 3 refuses them otherwise)
  tls1_0_only, // TLS 1.0 (security level 0)
  tls1_1_only, // TLS 1.1 (security level 0)
};

/// One step of a connection's script; made by the named factories below. A step that fails
/// (the peer closed, an I/O bound expired, the server stops) ends the script.
struct fault_step {
  enum class kind {
    read_request,       // wait for one more request head (up to the blank line) to arrive
    read_bytes,         // wait for `count` more bytes (raw ones without a handshake) to arrive
    serve,              // answer every further request with `bytes` until the peer closes
    send,               // write `bytes`
    drip,               // write `bytes` `count` bytes at a time, pausing `interval` in between
    close_after,        // write the first `count` bytes of `bytes`, then close (FIN)
    close,              // FIN (for TLS without close_notify), read until the peer closes; ends
    reset,              // SO_LINGER 0 and close: the peer sees a reset; ends the script
    stall,              // do nothing until release_stalled() or the server stops
    checkpoint,         // count one checkpoint (see wait_for_checkpoints())
    tls_shutdown,       // send close_notify; with `wait_for_peer` read until the peer's
    await_close_notify, // read until the peer's close_notify; `answer` it with ours or not
  };
  kind what = kind::close;
  std::string bytes;
  std::size_t count = 0;
  std::chrono::milliseconds interval{0};
  bool flag = false; // tls_shutdown: wait for the peer's close_notify; await_close_notify: answer

  static fault_step read_request();
  static fault_step read_bytes(std::size_t count);
  static fault_step serve(std::string response);
  static fault_step serve(); // with ok_response()
  static fault_step send(std::string bytes);
  static fault_step drip(std::string bytes, std::size_t per_write = 1,
                         std::chrono::milliseconds interval = std::chrono::milliseconds(1));
  static fault_step close_after(std::string bytes, std::size_t count);
  static fault_step close();
  static fault_step reset();
  static fault_step stall();
  static fault_step checkpoint();
  static fault_step tls_shutdown(bool wait_for_peer);
  static fault_step await_close_notify(bool answer);
};

/// What one connection does. On a TLS server the handshake (with `identity` and `versions`)
/// comes first unless `handshake` is false, in which case the steps see the raw TCP bytes.
/// After the last step the connection keeps reading (and recording) until the peer closes,
/// answering a close_notify with its own, and never answers a request.
struct connection_script {
  std::vector<fault_step> steps;
  bool handshake = true;
  tls_identity identity = tls_identity::valid;
  tls_versions versions = tls_versions::modern;
};

struct fault_server_options {
  bool tls = true;                               // false: plain TCP
  std::chrono::milliseconds io_timeout{10'000};  // bound of every handshake, read and write
  std::chrono::milliseconds stall_limit{30'000}; // a stall nobody releases ends by itself
};

/// What one accepted connection saw. The server fills it in as the connection goes.
struct connection_record {
  bool scripted = false;             // false: no script was queued; closed at once
  bool handshake_completed = false;  // TLS handshake finished (never, on plain TCP)
  std::string handshake_error;       // why the TLS handshake failed, when it did
  std::optional<std::string> sni;    // the host name the ClientHello named, if any
  std::string protocol;              // negotiated TLS version ("TLSv1.3"), when completed
  std::string received;              // every byte read: decrypted, or raw without a handshake
  std::vector<std::string> requests; // each complete request head received, in order
  bool close_notify_sent = false;
  bool close_notify_received = false;
  bool server_closed = false; // the server sent its FIN or reset
  bool peer_closed = false;   // the client's FIN or reset arrived
  bool finished = false;      // the connection is over and its socket closed
};

/// Starts serving on construction (its own thread and io_context, an ephemeral loopback port)
/// and stops on destruction, promptly: stalls are cancelled, sockets closed. Thread-safe.
class fault_server {
public:
  explicit fault_server(fault_server_options options = {});
  ~fault_server();
  fault_server(const fault_server&) = delete;
  fault_server& operator=(const fault_server&) = delete;

  std::uint16_t port() const noexcept;
  bool tls() const noexcept;
  /// "https://127.0.0.1:PORT" (http:// without TLS).
  std::string base_url() const;
  /// The same origin named by `host` ("localhost"): resolved, and sent in SNI.
  std::string base_url_for(std::string_view host) const;
  /// PEM of the root CA that (directly or through the intermediate) signs the valid leaves.
  const std::string& ca_pem() const noexcept;

  /// Queues a script (FIFO): the next accepted connection plays it. A connection accepted with
  /// nothing queued is closed at once without a handshake (recorded with scripted = false).
  void script(connection_script script);
  void script(std::vector<fault_step> steps);
  std::size_t scripts_pending() const;

  /// Ends every stall in progress now; the stalled connections go on with their next step.
  void release_stalled();

  std::size_t connections_accepted() const;
  std::size_t handshakes_completed() const;
  /// A snapshot of every connection's record, in accept order.
  std::vector<connection_record> connections() const;
  /// Every complete request head received, on all connections, in order of arrival.
  std::vector<std::string> requests() const;
  /// Bytes read on all connections (decrypted; raw where the handshake was skipped).
  std::size_t bytes_received() const;
  std::size_t checkpoints() const;

  /// Waits (bounded) until `n` checkpoints were passed; returns whether they were.
  bool wait_for_checkpoints(std::size_t n,
                            std::chrono::milliseconds bound = std::chrono::seconds(5)) const;
  /// Waits (bounded) until `done` holds for the records; returns whether it did.
  bool wait_until(const std::function<bool(const std::vector<connection_record>&)>& done,
                  std::chrono::milliseconds bound = std::chrono::seconds(5)) const;
  /// Waits (bounded) until connection `index` is over.
  bool wait_until_finished(std::size_t index,
                           std::chrono::milliseconds bound = std::chrono::seconds(5)) const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// A valid GET /v1/health/llm body (the spec's example).
std::string health_json();
/// "HTTP/1.1 200 OK" with Content-Type, Content-Length, `extra_headers` (each ending in CRLF)
/// and `body`.
std::string ok_response(std::string_view extra_headers = {}, std::string_view body = health_json());
/// `body` in chunked transfer coding, `chunk` bytes per chunk, with the last-chunk.
std::string chunked(std::string_view body, std::size_t chunk);
/// The script of a well-behaved connection: every request answered with ok_response().
connection_script good_connection();

} // namespace talkory::test
