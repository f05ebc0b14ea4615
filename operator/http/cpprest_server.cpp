#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "http/io_threads.h"
#include "http/server.h"

namespace secprov::http {
namespace {

namespace listener = web::http::experimental::listener;

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The certificate chain and key the server presents, re-read when either file changed. A
// pair that does not load (a key whose certificate is not written yet during a rotation, a
// file half written by a non-atomic writer) is not taken: the last pair that loaded is served
// until the files agree again.
class TlsMaterial {
 public:
  explicit TlsMaterial(ServerTls files) : files_(std::move(files)) {}

  void apply(boost::asio::ssl::context& context) {
    context.set_options(boost::asio::ssl::context::default_workarounds |
                        boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                        boost::asio::ssl::context::no_tlsv1 |
                        boost::asio::ssl::context::no_tlsv1_1);
    const std::lock_guard lock(mutex_);
    const auto stamp = stamp_of();
    if (stamp != stamp_ || !good_) {
      const auto cert = read_file(files_.cert_file);
      const auto key = read_file(files_.key_file);
      if (cert && key) {
        try {
          load(context, *cert, *key);
          good_ = Pair{*cert, *key};
          stamp_ = stamp;
          return;
        } catch (const std::exception& e) {
          spdlog::warn("TLS files {} / {} do not load ({}); serving the previous pair",
                       files_.cert_file.string(), files_.key_file.string(), e.what());
        }
      }
      if (!good_) throw std::runtime_error("no usable TLS certificate and key yet");
    }
    load(context, good_->cert, good_->key);
  }

 private:
  struct Pair {
    std::string cert;
    std::string key;
  };
  using Stamp = std::pair<std::filesystem::file_time_type, std::filesystem::file_time_type>;

  static void load(boost::asio::ssl::context& context, const std::string& cert,
                   const std::string& key) {
    context.use_certificate_chain(boost::asio::buffer(cert));
    // Refused (throws) when the key is not the certificate's.
    context.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
  }

  Stamp stamp_of() const {
    std::error_code ignored;
    return {std::filesystem::last_write_time(files_.cert_file, ignored),
            std::filesystem::last_write_time(files_.key_file, ignored)};
  }

  const ServerTls files_;
  std::mutex mutex_;
  Stamp stamp_{};
  std::optional<Pair> good_;
};

class CpprestServer final : public Server {
 public:
  CpprestServer(const ServerOptions& options, Routes routes) : routes_(std::move(routes)) {
    listener::http_listener_config config;
    if (options.tls) {
      // cpprestsdk builds a new SSL context for every accepted connection and calls this for
      // it: the files are read again when they changed, so a rotated certificate is served
      // from the next connection on, without a restart.
      config.set_ssl_context_callback(
          [material = std::make_shared<TlsMaterial>(*options.tls)](
              boost::asio::ssl::context& context) { material->apply(context); });
    }
    const std::string scheme = options.tls ? "https" : "http";
    const std::string url =
        scheme + "://" + options.address + ":" + std::to_string(options.port) + "/";
    listener_ = std::make_unique<listener::http_listener>(url, config);
    listener_->support([this](web::http::http_request request) { dispatch(std::move(request)); });
    try {
      listener_->open().wait();
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot listen on " + url + ": " + e.what());
    }
    spdlog::info("serving {}", url);
  }

  ~CpprestServer() override { stop(); }

  void stop() override {
    const std::lock_guard lock(stop_mutex_);
    if (!listener_) return;
    try {
      listener_->close().wait();
    } catch (const std::exception& e) {
      spdlog::warn("closing HTTP listener: {}", e.what());
    }
    listener_.reset();
    pending_.wait_idle();  // the routes and what they use outlive every answer in progress
  }

 private:
  // Never blocks an I/O thread: the body is awaited as a continuation, not with get(). The
  // process has a small I/O pool (http::use_io_threads); a handler that waited there for the
  // body, which that same pool reads, could stall every HTTP server of the process.
  void dispatch(web::http::http_request incoming) const {
    if (incoming.method() != web::http::methods::POST) {
      answer(incoming, std::string{});
      return;
    }
    auto pending = std::make_shared<const PendingRequest>(pending_);
    incoming.extract_string(true).then(
        [this, incoming, pending](const pplx::task<std::string>& body) {
          std::string text;
          try {
            text = body.get();  // finished: does not block
          } catch (const std::exception& e) {
            spdlog::debug("request body not read: {}", e.what());
            reply(incoming, Response{400, "text/plain; charset=utf-8", "unreadable body\n"});
            return;
          }
          answer(incoming, std::move(text));
        });
  }

  void answer(const web::http::http_request& incoming, std::string body) const {
    Request request;
    request.method = incoming.method();
    request.path = web::uri::decode(incoming.relative_uri().path());
    request.body = std::move(body);
    Response response;
    try {
      const auto route = find_route(request.path);
      response = route == routes_.end() ? Response{404, "text/plain; charset=utf-8", "not found\n"}
                                        : route->second(request);
    } catch (const std::exception& e) {
      // The reason goes to the log only: it may name internals a client should not see.
      spdlog::error("handler for {} failed: {}", request.path, e.what());
      response = Response{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    reply(incoming, response);
  }

  static void reply(const web::http::http_request& incoming, const Response& response) {
    web::http::http_response reply(static_cast<web::http::status_code>(response.status));
    if (response.content_type.rfind("application/pkix", 0) == 0) {
      // Binary (DER): sent as bytes, with its own content type.
      reply.set_body(std::vector<unsigned char>(response.body.begin(), response.body.end()));
      reply.headers().set_content_type(response.content_type);
    } else {
      reply.set_body(response.body, response.content_type);
    }
    incoming.reply(reply).then([](const pplx::task<void>& sent) {
      try {
        sent.get();
      } catch (const std::exception& e) {
        spdlog::debug("reply not sent: {}", e.what());
      }
    });
  }

  // The exact path, else the longest route ending in '/' that the path extends.
  Routes::const_iterator find_route(const std::string& path) const {
    if (const auto exact = routes_.find(path); exact != routes_.end()) return exact;
    auto best = routes_.end();
    for (auto it = routes_.begin(); it != routes_.end(); ++it) {
      const auto& prefix = it->first;
      if (prefix.empty() || prefix.back() != '/' || path.size() <= prefix.size() ||
          path.compare(0, prefix.size(), prefix) != 0) {
        continue;
      }
      if (best == routes_.end() || prefix.size() > best->first.size()) best = it;
    }
    return best;
  }

  // Requests whose body is still being read: stop() waits for them, since their answer uses
  // the routes (and what the routes use).
  class Pending {
   public:
    void enter() {
      const std::lock_guard lock(mutex_);
      ++count_;
    }
    void leave() {
      {
        const std::lock_guard lock(mutex_);
        --count_;
      }
      idle_.notify_all();
    }
    void wait_idle() {
      std::unique_lock lock(mutex_);
      idle_.wait(lock, [this] { return count_ == 0; });
    }

   private:
    std::mutex mutex_;
    std::condition_variable idle_;
    int count_ = 0;
  };
  class PendingRequest {
   public:
    explicit PendingRequest(Pending& pending) : pending_(pending) { pending_.enter(); }
    ~PendingRequest() { pending_.leave(); }
    PendingRequest(const PendingRequest&) = delete;
    PendingRequest& operator=(const PendingRequest&) = delete;

   private:
    Pending& pending_;
  };

  const Routes routes_;
  mutable Pending pending_;
  std::mutex stop_mutex_;
  std::unique_ptr<listener::http_listener> listener_;
};

}  // namespace

std::unique_ptr<Server> start_server(const ServerOptions& options, Routes routes) {
  return std::make_unique<CpprestServer>(options, std::move(routes));
}

void use_io_threads(std::size_t count) {
  if (count == 0) throw std::logic_error("use_io_threads: at least one I/O thread is needed");
  try {
    crossplat::threadpool::initialize_with_threads(count);
  } catch (const std::runtime_error& e) {
    throw std::logic_error(std::string("use_io_threads: ") + e.what());
  }
}

}  // namespace secprov::http
