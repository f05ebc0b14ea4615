// The only file that knows cpprestsdk (and, through boost::asio::ssl, OpenSSL contexts).
#include <cpprest/http_client.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <variant>

#include "kube/errors.h"
#include "kube/http.h"
#include "kube/io_threads.h"

namespace secprov::kube {
namespace {

namespace http = web::http;
using http::client::http_client;
using http::client::http_client_config;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

HttpHeaders to_headers(const http::http_headers& headers) {
  HttpHeaders out;
  for (const auto& [name, value] : headers) out[lower(name)] = value;
  return out;
}

bool is_timeout(const std::error_code& code) {
  return code == std::errc::timed_out || code.value() == static_cast<int>(std::errc::timed_out);
}

// Maps whatever a cpprest task threw to ApiError. Messages come from the library
// (e.g. "Failed to connect to any resolved endpoint"), never from request contents.
ApiError to_api_error(std::exception_ptr error, const std::string& what_request) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const ApiError& e) {
    return e;
  } catch (const http::http_exception& e) {
    if (is_timeout(e.error_code())) {
      return ApiError(ErrorKind::Timeout, 0, what_request + ": " + e.what());
    }
    return ApiError(ErrorKind::Transport, 0, what_request + ": " + e.what());
  } catch (const pplx::task_canceled&) {
    return ApiError(ErrorKind::Transport, 0, what_request + ": cancelled");
  } catch (const std::exception& e) {
    return ApiError(ErrorKind::Transport, 0, what_request + ": " + e.what());
  } catch (...) {
    return ApiError(ErrorKind::Transport, 0, what_request + ": unknown error");
  }
}

std::string describe(const HttpRequest& request) {
  // The path only: the query may carry continue tokens, which are long and useless in logs.
  return request.method + " " + request.target.substr(0, request.target.find('?'));
}

http::http_request to_cpprest(const HttpRequest& request) {
  http::http_request message(request.method);
  message.set_request_uri(request.target);
  std::string content_type = "application/octet-stream";
  for (const auto& [name, value] : request.headers) {
    if (lower(name) == "content-type") {
      content_type = value;  // set_body owns this header
    } else {
      message.headers().add(name, value);
    }
  }
  if (!request.body.empty()) message.set_body(request.body, content_type);
  return message;
}

// Runs a continuation at once on the thread that completed what it waited for (an asio I/O
// thread), instead of posting it to the pplx thread pool. Every continuation here only moves
// data and sets a promise; each post was a thread hand-off (a wake-up, a context switch and a
// queue operation), several per request (session 6's profile: about 35 % of the operator's CPU
// in cpprestsdk's and asio's hand-offs). Stateless.
// pplx's interface has no virtual destructor; this is only ever owned by a shared_ptr made for
// this very type, which deletes it as such.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class InlineScheduler final : public pplx::scheduler_interface {
 public:
  void schedule(pplx::TaskProc_t proc, void* parameter) override { proc(parameter); }
};
#pragma GCC diagnostic pop

pplx::task_options inline_continuations() {
  return pplx::task_options(std::make_shared<InlineScheduler>());
}

// Waits on the caller's thread (never inside a continuation: the cpprest pool would deadlock)
// with a deadline; cancels the request when the deadline passes.
template <typename T>
T wait_for(std::future<T>& future, pplx::cancellation_token_source& cancel,
           std::chrono::milliseconds timeout, const std::string& what_request) {
  if (future.wait_for(timeout) == std::future_status::timeout) {
    cancel.cancel();
    throw ApiError(ErrorKind::Timeout, 0,
                   what_request + ": no answer within " + std::to_string(timeout.count()) + " ms");
  }
  try {
    return future.get();
  } catch (...) {
    throw to_api_error(std::current_exception(), what_request);
  }
}

// The whole body once it has arrived: it is buffered, so reading it does not block.
std::string buffered_body(const http::http_response& reply) {
  auto body = reply.body();
  if (!body.is_valid()) return {};
  auto buffer = body.streambuf();
  std::string out(buffer.in_avail(), '\0');
  if (!out.empty()) {
    out.resize(buffer.getn(reinterpret_cast<std::uint8_t*>(out.data()), out.size()).get());
  }
  return out;
}

// Loads the in-memory PEM material into an OpenSSL context via asio (no files on disk).
void configure_tls(boost::asio::ssl::context& context, const TlsSettings& tls) {
  // An encrypted key would otherwise make OpenSSL prompt on the terminal.
  context.set_password_callback(
      [](std::size_t, boost::asio::ssl::context::password_purpose) { return std::string{}; });
  const auto step = [](const char* field, auto&& load) {
    try {
      load();
    } catch (const boost::system::system_error& e) {
      throw ConfigError(field, std::string("rejected by OpenSSL: ") + e.code().message());
    }
  };
  if (!tls.ca_pem.empty()) {
    // The configured CA alone, as client-go does: cpprest has already loaded the system
    // store into this connection's context (set_default_verify_paths), which would also
    // accept any public CA's certificate for the API server's name, and kept about 860 KB
    // of parsed roots per pooled connection. A fresh store drops them.
    X509_STORE* only_configured = X509_STORE_new();
    if (only_configured == nullptr) throw ConfigError("tls.ca_pem", "out of memory");
    SSL_CTX_set_cert_store(context.native_handle(), only_configured);  // frees the old one
    step("tls.ca_pem", [&] { context.add_certificate_authority(boost::asio::buffer(tls.ca_pem)); });
  }
  if (!tls.client_cert_pem.empty()) {
    step("tls.client_cert_pem",
         [&] { context.use_certificate_chain(boost::asio::buffer(tls.client_cert_pem)); });
    // Loaded after the certificate, so OpenSSL also checks that they belong together.
    step("tls.client_key_pem", [&] {
      context.use_private_key(boost::asio::buffer(tls.client_key_pem),
                              boost::asio::ssl::context::pem);
    });
  }
}

// State shared between a stream and the continuation of its pending read, which may
// outlive the stream (cancel() returns without waiting for cpprest to notice).
struct ReadState {
  struct EndOfStream {};
  using Result = std::variant<std::string, EndOfStream, std::exception_ptr>;  // bytes read

  std::mutex mutex;
  std::condition_variable changed;
  bool cancelled = false;
  std::optional<Result> result;  // of the read in flight
};

// Reads the body in chunks of what has arrived and splits the lines itself: cpprest's own
// read_line takes a lock and a virtual call per byte (with the watch streams' events, about
// 8 % of the operator's CPU in a burst).
class CpprestLineStream final : public HttpLineStream {
 public:
  CpprestLineStream(const http::http_response& response, pplx::cancellation_token_source cancel,
                    std::string what, pplx::task_options continuations)
      : status_(response.status_code()),
        headers_(to_headers(response.headers())),
        body_(response.body()),
        cancel_(std::move(cancel)),
        what_(std::move(what)),
        continuations_(std::move(continuations)) {}

  ~CpprestLineStream() override { cancel(); }  // closes the connection
  CpprestLineStream(const CpprestLineStream&) = delete;
  CpprestLineStream& operator=(const CpprestLineStream&) = delete;

  int status() const override { return status_; }
  const HttpHeaders& headers() const override { return headers_; }

  std::optional<std::string> read_line() override {
    if (cancelled()) {
      end_without_partial_line();
      return std::nullopt;
    }
    for (;;) {
      if (auto line = next_buffered_line()) return line;
      if (ended_) {
        // A last line without its newline; then the end, for good.
        if (start_ == pending_.size()) return std::nullopt;
        std::string last = pending_.substr(start_);
        end_without_partial_line();
        return last;
      }
      ReadState::Result chunk = read_chunk();
      if (auto* bytes = std::get_if<std::string>(&chunk)) {
        if (start_ > 0) {  // drop what was returned before growing the buffer
          pending_.erase(0, start_);
          scanned_ -= start_;
          start_ = 0;
        }
        pending_ += *bytes;
        continue;
      }
      ended_ = true;
      if (auto* error = std::get_if<std::exception_ptr>(&chunk)) {
        end_without_partial_line();
        throw to_api_error(*error, what_ + " (stream)");
      }
      if (cancelled()) end_without_partial_line();
    }
  }

  void cancel() override {
    {
      const std::lock_guard lock(state_->mutex);
      if (state_->cancelled) return;
      state_->cancelled = true;
    }
    state_->changed.notify_all();
    cancel_.cancel();
  }

 private:
  // The next complete line already received, without its newline (nor a '\r' before it).
  std::optional<std::string> next_buffered_line() {
    const auto newline = pending_.find('\n', scanned_);
    if (newline == std::string::npos) {
      scanned_ = pending_.size();
      return std::nullopt;
    }
    auto end = newline;
    if (end > start_ && pending_[end - 1] == '\r') --end;
    std::string line = pending_.substr(start_, end - start_);
    start_ = scanned_ = newline + 1;
    return line;
  }

  void end_without_partial_line() {
    ended_ = true;
    pending_.clear();
    start_ = scanned_ = 0;
  }

  bool cancelled() {
    const std::lock_guard lock(state_->mutex);
    return state_->cancelled;
  }

  // Blocks until bytes arrive (all that have, up to kMaxChunk), the body ends, it fails, or the
  // stream is cancelled (EndOfStream).
  ReadState::Result read_chunk() {
    {
      const std::lock_guard lock(state_->mutex);
      if (state_->cancelled) return ReadState::EndOfStream{};
      state_->result.reset();
    }
    start_read();
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(lock, [&] { return state_->cancelled || state_->result.has_value(); });
    if (state_->cancelled) return ReadState::EndOfStream{};
    ReadState::Result result = std::move(*state_->result);
    state_->result.reset();
    return result;
  }

  void start_read() {
    static constexpr std::size_t kMaxChunk = 64 * 1024;
    auto buffer = body_.streambuf();
    // What has arrived is read at once; with nothing there, the read waits for a first byte.
    const std::size_t count = std::clamp<std::size_t>(buffer.in_avail(), 1, kMaxChunk);
    auto chunk = std::make_shared<std::string>(count, '\0');
    // Inline: the read may also finish at once, on this thread, which holds no lock here.
    buffer.getn(reinterpret_cast<std::uint8_t*>(chunk->data()), count)
        .then(
            [state = state_, chunk, buffer](const pplx::task<std::size_t>& done) {
              ReadState::Result result;
              try {
                const std::size_t read = done.get();  // finished: does not block
                if (read == 0) {
                  result = ReadState::EndOfStream{};  // getn answers 0 only at the end
                } else {
                  chunk->resize(read);
                  result = std::move(*chunk);
                }
              } catch (...) {
                result = std::current_exception();
              }
              {
                const std::lock_guard lock(state->mutex);
                state->result = std::move(result);
              }
              state->changed.notify_all();
            },
            continuations_);
  }

  const int status_;
  const HttpHeaders headers_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cancel_;  // a handle: copies share the source
  const std::string what_;
  const pplx::task_options continuations_;
  std::shared_ptr<ReadState> state_ = std::make_shared<ReadState>();
  // Only touched by the reading thread: bytes received, the start of the next line in them and
  // how far they were searched for a newline.
  std::string pending_;
  std::size_t start_ = 0;
  std::size_t scanned_ = 0;
  bool ended_ = false;
};

class CpprestTransport final : public HttpTransport {
 public:
  CpprestTransport(const std::string& base_url, const http_client_config& config)
      : client_(base_url, config) {}

  HttpResponse send(const HttpRequest& request) override {
    const std::string what = describe(request);
    pplx::cancellation_token_source cancel;
    const auto response = start(request, cancel, what);
    // Headers, then the whole body, straight into the promise: no task is returned from a
    // continuation (pplx would unwrap it with one more continuation on its pool).
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    response.then(
        [promise, options = continuations_](const pplx::task<http::http_response>& headers) {
          try {
            const http::http_response reply = headers.get();  // finished: does not block
            pplx::create_task(reply._get_impl()->_get_data_available())
                .then(
                    [promise, reply](const pplx::task<utility::size64_t>& body) {
                      try {
                        body.get();
                        HttpResponse out;
                        out.status = reply.status_code();
                        out.headers = to_headers(reply.headers());
                        out.body = buffered_body(reply);
                        promise->set_value(std::move(out));
                      } catch (...) {
                        promise->set_exception(std::current_exception());
                      }
                    },
                    options);
          } catch (...) {
            promise->set_exception(std::current_exception());
          }
        },
        continuations_);
    return wait_for(future, cancel, request.timeout, what);
  }

  std::unique_ptr<HttpLineStream> open_stream(const HttpRequest& request) override {
    std::string what = describe(request);
    pplx::cancellation_token_source cancel;
    const auto response = start(request, cancel, what);
    // Returns as soon as the headers are in; the body keeps arriving.
    auto promise = std::make_shared<std::promise<http::http_response>>();
    auto future = promise->get_future();
    response.then(
        [promise](const pplx::task<http::http_response>& headers) {
          try {
            promise->set_value(headers.get());
          } catch (...) {
            promise->set_exception(std::current_exception());
          }
        },
        continuations_);
    const http::http_response headers = wait_for(future, cancel, request.timeout, what);
    return std::make_unique<CpprestLineStream>(headers, cancel, std::move(what), continuations_);
  }

 private:
  pplx::task<http::http_response> start(const HttpRequest& request,
                                        pplx::cancellation_token_source& cancel,
                                        const std::string& what) {
    try {
      return client_.request(to_cpprest(request), cancel.get_token());
    } catch (...) {
      throw to_api_error(std::current_exception(), what);  // e.g. a malformed URI
    }
  }

  http_client client_;  // thread-safe: one connection pool shared by all requests
  const pplx::task_options continuations_ = inline_continuations();
};

}  // namespace

void use_io_threads(std::size_t count) {
  if (count == 0) throw std::logic_error("use_io_threads: at least one I/O thread is needed");
  try {
    crossplat::threadpool::initialize_with_threads(count);
  } catch (const std::runtime_error& e) {
    throw std::logic_error(std::string("use_io_threads: ") + e.what());
  }
}

std::unique_ptr<HttpTransport> make_cpprest_transport(const std::string& base_url,
                                                      const TlsSettings& tls,
                                                      std::chrono::seconds inactivity_timeout) {
  // Fail here, naming the field, rather than later as an opaque handshake failure.
  {
    boost::asio::ssl::context probe(boost::asio::ssl::context::tls_client);
    configure_tls(probe, tls);
  }
  http_client_config config;
  config.set_timeout(inactivity_timeout);  // cpprest's timer restarts on every read
  config.set_validate_certificates(!tls.insecure_skip_verify);
  // cpprest copies its config, callback included, for every request: the PEM it captures is
  // shared, not copied.
  config.set_ssl_context_callback(
      [shared = std::make_shared<const TlsSettings>(tls)](boost::asio::ssl::context& context) {
        configure_tls(context, *shared);
      });
  try {
    return std::make_unique<CpprestTransport>(base_url, config);
  } catch (const std::exception& e) {
    throw ConfigError("server", std::string("not a usable URL: ") + e.what());
  }
}

}  // namespace secprov::kube
