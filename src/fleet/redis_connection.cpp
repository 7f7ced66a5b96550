// hiredis's async API on an Asio strand: the adapter (its fd in a posix::stream_descriptor, its
// addRead/delRead/addWrite/delWrite/cleanup hooks), a connect bounded by a timer, reconnection
// with jittered backoff, and a timeout and exactly-once completion for every command.
//
// Shaped after Boost.Redis's connection (one connection, commands queued on it, a reconnect loop
// with a wait, a bound on each operation: its issue 199 shows a command left hanging when the
// server went away, which the per-command timer here rules out), but on hiredis 0.14, which
// Debian 12 ships (Boost.Redis needs Boost 1.84). hiredis writes and parses RESP; this file only
// tells it when its socket is ready.
#include "fleet/redis_connection.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <talkory/errors.hpp>

#include "completion.hpp"

namespace talkory::detail {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

namespace {

redis_reply copy_reply(const redisReply& r) {
  redis_reply out;
  switch (r.type) {
  case REDIS_REPLY_STRING:
    out.type = redis_reply::kind::string;
    out.text.assign(r.str, r.len);
    break;
  case REDIS_REPLY_STATUS:
    out.type = redis_reply::kind::status;
    out.text.assign(r.str, r.len);
    break;
  case REDIS_REPLY_ERROR:
    out.type = redis_reply::kind::error;
    out.text.assign(r.str, r.len);
    break;
  case REDIS_REPLY_INTEGER:
    out.type = redis_reply::kind::integer;
    out.integer = r.integer;
    break;
  case REDIS_REPLY_ARRAY:
    out.type = redis_reply::kind::array;
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i)
      out.elements.push_back(copy_reply(*r.element[i]));
    break;
  default:
    out.type = redis_reply::kind::nil;
  }
  return out;
}

std::error_code unavailable() {
  return make_error_code(errc::fleet_unavailable);
}

} // namespace

struct redis_connection::state {
  struct command {
    std::optional<handler_type> handler; // empty for the connection's own AUTH and SELECT
    std::vector<std::string> args;
    std::unique_ptr<asio::steady_timer> timer;
    bool done = false;
  };
  using command_ptr = std::shared_ptr<command>;

  state(asio::any_io_executor ex, redis_connection_options o, unit_random r)
      : executor(std::move(ex)), strand(asio::make_strand(executor)), options(std::move(o)),
        random(std::move(r)), resolver(strand), connect_timer(strand),
        backoff(options.initial_backoff) {}

  redis_connection* owner = nullptr;
  const asio::any_io_executor executor;
  const asio::strand<asio::any_io_executor> strand;
  const redis_connection_options options;
  const unit_random random;
  asio::ip::tcp::resolver resolver;
  asio::steady_timer connect_timer;

  // Everything below is touched on the strand only (and by the destructor, when nothing else is
  // left to touch it).
  redisAsyncContext* ac = nullptr;
  std::unique_ptr<asio::posix::stream_descriptor> socket; // hiredis's fd, never closed by Asio
  std::uint64_t generation = 0; // of the current context: tells stale waits from live ones
  bool resolving = false;
  bool connected = false;
  bool want_read = false, want_write = false, read_armed = false, write_armed = false;
  bool closed = false;
  bool destroying = false;
  clock::time_point retry_at{};
  milliseconds backoff;
  std::vector<command_ptr> queued;                   // waiting for name resolution
  std::unordered_map<void*, command_ptr> in_hiredis; // handed to hiredis, keyed by privdata

  mutable std::mutex error_mutex;
  std::string error_text;

  void set_error(std::string text) {
    std::lock_guard lock(error_mutex);
    error_text = std::move(text);
  }
  std::string get_error() const {
    std::lock_guard lock(error_mutex);
    return error_text;
  }

  // Exactly once: whoever gets here first (reply, disconnect, timeout, cancellation) completes.
  void complete(command& c, std::error_code ec, redis_reply reply = {}) {
    if (c.done)
      return;
    c.done = true;
    if (c.timer)
      c.timer->cancel();
    if (c.handler) {
      complete_later(executor, std::move(*c.handler), ec, std::move(reply));
      c.handler.reset();
    }
  }

  // A connect that failed: the next one waits, and each failure doubles the wait (with "equal
  // jitter": half fixed, half random, so a fleet restarted together does not reconnect together).
  void note_failure() {
    const auto jittered = std::chrono::duration_cast<milliseconds>(
        backoff / 2 + std::chrono::duration<double, std::milli>(backoff.count() / 2.0 * random()));
    retry_at = clock::now() + jittered;
    backoff = std::min(backoff * 2, options.max_backoff);
  }

  void on_command(const command_ptr& c) {
    if (c->done)
      return; // cancelled on its way here
    if (closed)
      return complete(*c, make_error_code(errc::cancelled));
    c->timer = std::make_unique<asio::steady_timer>(strand, options.command_timeout);
    c->timer->async_wait([self = owner->shared_from_this(),
                          weak = std::weak_ptr<command>(c)](const boost::system::error_code& ec) {
      if (auto cmd = weak.lock(); cmd && !ec)
        self->state_->on_command_timeout(*cmd);
    });
    if (!ac && !resolving) {
      if (clock::now() < retry_at)
        return complete(*c, unavailable());
      start_connect();
    }
    if (resolving)
      return queued.push_back(c);
    if (!ac)
      return complete(*c, unavailable());
    send(c);
  }

  void on_command_timeout(command& c) {
    if (c.done)
      return;
    set_error("a command took longer than fleet.command_timeout (" +
              std::to_string(options.command_timeout.count()) + " ms)");
    complete(c, unavailable());
    // A Redis this slow is treated as down: dropping the connection fails whatever waits behind
    // this command at once rather than one timeout after the other.
    note_failure();
    drop();
  }

  void drop() {
    if (resolving) {
      resolver.cancel(); // its handler fails the queued commands
      return;
    }
    if (ac)
      redisAsyncFree(ac); // every command in hiredis gets its callback, with a null reply
  }

  void send(const command_ptr& c) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(c->args.size());
    lengths.reserve(c->args.size());
    for (const auto& a : c->args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    in_hiredis.emplace(c.get(), c);
    if (redisAsyncCommandArgv(ac, &state::on_reply, c.get(), static_cast<int>(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
      in_hiredis.erase(c.get());
      return complete(*c, unavailable());
    }
    arm_read();
  }

  void start_connect() {
    connect_timer.expires_after(options.connect_timeout);
    connect_timer.async_wait([self = owner->shared_from_this(),
                              generation = generation + 1](const boost::system::error_code& ec) {
      auto& s = *self->state_;
      if (ec || s.generation != generation || s.connected || s.closed)
        return;
      s.set_error("connecting to Redis took longer than fleet.connect_timeout (" +
                  std::to_string(s.options.connect_timeout.count()) + " ms)");
      s.note_failure();
      s.drop();
    });
    ++generation;
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(options.address.host, ec);
    if (!ec)
      return connect_to(ip.to_string());
    // hiredis would resolve a name with a blocking getaddrinfo: Asio resolves it instead.
    resolving = true;
    resolver.async_resolve(
        options.address.host, std::to_string(options.address.port),
        [self = owner->shared_from_this()](const boost::system::error_code& rec,
                                           const asio::ip::tcp::resolver::results_type& results) {
          self->state_->on_resolved(rec, results);
        });
  }

  void on_resolved(const boost::system::error_code& ec,
                   const asio::ip::tcp::resolver::results_type& results) {
    resolving = false;
    auto waiting = std::exchange(queued, {});
    if (!closed && !ec && !results.empty())
      connect_to(results.begin()->endpoint().address().to_string());
    else if (!closed) {
      set_error("cannot resolve the Redis host \"" + options.address.host +
                "\": " + (ec ? ec.message() : std::string("no address")));
      note_failure();
    }
    for (auto& c : waiting) {
      if (c->done)
        continue;
      if (closed)
        complete(*c, make_error_code(errc::cancelled));
      else if (ac)
        send(c);
      else
        complete(*c, unavailable());
    }
  }

  void connect_to(const std::string& ip) {
    redisAsyncContext* c = redisAsyncConnect(ip.c_str(), options.address.port);
    if (c == nullptr) {
      set_error("hiredis could not allocate a connection");
      return note_failure();
    }
    if (c->err) {
      set_error(std::string("cannot connect to Redis: ") + c->errstr);
      redisAsyncFree(c);
      return note_failure();
    }
    ac = c;
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = [](void* p) {
      auto* s = static_cast<state*>(p);
      s->want_read = true;
      s->arm_read();
    };
    ac->ev.delRead = [](void* p) { static_cast<state*>(p)->want_read = false; };
    ac->ev.addWrite = [](void* p) {
      auto* s = static_cast<state*>(p);
      s->want_write = true;
      s->arm_write();
    };
    ac->ev.delWrite = [](void* p) { static_cast<state*>(p)->want_write = false; };
    ac->ev.cleanup = [](void* p) { static_cast<state*>(p)->on_cleanup(); };
    redisAsyncSetConnectCallback(ac, &state::on_connect);
    redisAsyncSetDisconnectCallback(ac, &state::on_disconnect);
    socket = std::make_unique<asio::posix::stream_descriptor>(strand, ac->c.fd);
    // The connection's own commands go first: hiredis sends in order.
    if (!options.password.empty())
      send_internal({"AUTH", options.password}, "AUTH");
    if (options.address.db != 0)
      send_internal({"SELECT", std::to_string(options.address.db)}, "SELECT");
  }

  void send_internal(std::vector<std::string> args, std::string what) {
    auto c = std::make_shared<command>();
    c->args = std::move(args);
    // Its failure is checked in on_reply (an error reply to a command without a handler).
    c->handler.reset();
    internal_names.emplace(c.get(), std::move(what));
    send(c);
  }
  std::unordered_map<void*, std::string> internal_names;

  void arm_read() {
    if (destroying || read_armed || !want_read || !socket || in_hiredis.empty())
      return; // nothing awaits a reply: an idle connection is not watched (see the header)
    read_armed = true;
    socket->async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = owner->shared_from_this(),
                        generation = generation](const boost::system::error_code& ec) {
                         auto& s = *self->state_;
                         if (s.generation != generation)
                           return;
                         s.read_armed = false;
                         if (ec || !s.ac)
                           return;
                         redisAsyncHandleRead(s.ac); // may free the context (a disconnect)
                         s.arm_read();
                       });
  }

  void arm_write() {
    if (destroying || write_armed || !want_write || !socket)
      return;
    write_armed = true;
    socket->async_wait(asio::posix::stream_descriptor::wait_write,
                       [self = owner->shared_from_this(),
                        generation = generation](const boost::system::error_code& ec) {
                         auto& s = *self->state_;
                         if (s.generation != generation)
                           return;
                         s.write_armed = false;
                         if (ec || !s.ac)
                           return;
                         redisAsyncHandleWrite(s.ac); // connects first, then writes
                         s.arm_write();
                       });
  }

  // hiredis is freeing the context (it closes the fd right after): forget both.
  void on_cleanup() {
    if (socket) {
      socket->release(); // cancels the waits; hiredis owns the fd and closes it
      socket.reset();
    }
    ac = nullptr;
    connected = false;
    want_read = want_write = read_armed = write_armed = false;
    ++generation; // the aborted waits of this context must do nothing
    connect_timer.cancel();
  }

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* s = static_cast<state*>(c->data);
    if (s == nullptr || s->destroying)
      return;
    if (status != REDIS_OK) {
      s->set_error(std::string("cannot connect to Redis: ") + c->errstr);
      s->note_failure();
      return; // hiredis frees the context next, failing its commands
    }
    s->connected = true;
    s->backoff = s->options.initial_backoff;
    s->connect_timer.cancel();
  }

  static void on_disconnect(const redisAsyncContext* c, int status) {
    auto* s = static_cast<state*>(c->data);
    if (s == nullptr || s->destroying || s->closed)
      return;
    if (status != REDIS_OK)
      s->set_error(std::string("the Redis connection dropped: ") + c->errstr);
    // An established connection that drops (a Redis restart) may be reopened by the next command
    // at once; if that fails, the backoff applies.
  }

  static void on_reply(redisAsyncContext* c, void* r, void* privdata) {
    auto* s = static_cast<state*>(c->data);
    if (s == nullptr)
      return;
    const auto it = s->in_hiredis.find(privdata);
    if (it == s->in_hiredis.end())
      return;
    const auto cmd = it->second;
    s->in_hiredis.erase(it);
    if (s->destroying)
      return;
    if (const auto name = s->internal_names.find(privdata); name != s->internal_names.end()) {
      const auto what = name->second;
      s->internal_names.erase(name);
      const auto* reply = static_cast<const redisReply*>(r);
      if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
        s->set_error("Redis refused " + what + ": " + std::string(reply->str, reply->len));
        s->note_failure();
        // Freed from a fresh turn: freeing inside hiredis's own callback is best avoided.
        asio::post(s->strand, [self = s->owner->shared_from_this(), generation = s->generation] {
          auto& st = *self->state_;
          if (st.generation == generation && st.ac)
            redisAsyncFree(st.ac);
        });
      }
      return;
    }
    if (r == nullptr) // the connection went away before the reply came
      return s->complete(*cmd, s->closed ? make_error_code(errc::cancelled) : unavailable());
    s->complete(*cmd, {}, copy_reply(*static_cast<const redisReply*>(r)));
  }

  void close() {
    closed = true;
    connect_timer.cancel();
    if (resolving)
      resolver.cancel();
    else if (ac && !in_hiredis.empty())
      // Gracefully: what was already sent or queued (a fleet cache's last publish before a
      // shutdown) still gets its reply, each under its timeout; hiredis frees the context after.
      redisAsyncDisconnect(ac);
    else if (ac)
      redisAsyncFree(ac);
    for (auto& c : std::exchange(queued, {}))
      complete(*c, make_error_code(errc::cancelled));
  }
};

std::shared_ptr<redis_connection> redis_connection::create(asio::any_io_executor executor,
                                                           redis_connection_options options,
                                                           unit_random random) {
  return std::shared_ptr<redis_connection>(new redis_connection(
      std::make_unique<state>(std::move(executor), std::move(options), std::move(random))));
}

redis_connection::redis_connection(std::unique_ptr<state> s) : state_(std::move(s)) {
  state_->owner = this;
}

redis_connection::~redis_connection() {
  // Nothing else refers to the state now: every pending wait held a shared_ptr to us.
  state_->destroying = true;
  if (state_->ac)
    redisAsyncFree(state_->ac);
}

void redis_connection::initiate(std::vector<std::string> args, handler_type handler) {
  auto c = std::make_shared<state::command>();
  c->args = std::move(args);
  // Installed on the initiating thread, where the caller emits; the request hops to the strand.
  auto slot = asio::get_associated_cancellation_slot(handler);
  c->handler.emplace(std::move(handler));
  auto self = shared_from_this();
  if (slot.is_connected())
    slot.assign([weak_self = std::weak_ptr<redis_connection>(self),
                 weak = std::weak_ptr<state::command>(c)](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none)
        return;
      if (auto s = weak_self.lock())
        asio::post(s->state_->strand, [s, weak] {
          if (auto cmd = weak.lock())
            s->state_->complete(*cmd, make_error_code(errc::cancelled));
        });
    });
  asio::dispatch(state_->strand,
                 [self = std::move(self), c = std::move(c)] { self->state_->on_command(c); });
}

void redis_connection::close() {
  asio::post(state_->strand, [self = shared_from_this()] { self->state_->close(); });
}

std::string redis_connection::last_error() const {
  return state_->get_error();
}

} // namespace talkory::detail
