#include <cpprest/http_listener.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl.hpp>
#include <mutex>
#include <vector>

#include "http/server.h"

namespace secprov::http {
namespace {

namespace listener = web::http::experimental::listener;

class CpprestServer final : public Server {
 public:
  CpprestServer(const ServerOptions& options, Routes routes) : routes_(std::move(routes)) {
    listener::http_listener_config config;
    if (options.tls) {
      const ServerTls tls = *options.tls;
      config.set_ssl_context_callback([tls](boost::asio::ssl::context& context) {
        context.set_options(
            boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
            boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
            boost::asio::ssl::context::no_tlsv1_1);
        context.use_certificate_chain_file(tls.cert_file.string());
        context.use_private_key_file(tls.key_file.string(), boost::asio::ssl::context::pem);
      });
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
  }

 private:
  void dispatch(web::http::http_request incoming) const {
    Request request;
    request.method = incoming.method();
    request.path = web::uri::decode(incoming.relative_uri().path());
    Response response;
    try {
      if (request.method == web::http::methods::POST) {
        request.body = incoming.extract_string(true).get();
      }
      const auto route = find_route(request.path);
      response = route == routes_.end() ? Response{404, "text/plain; charset=utf-8", "not found\n"}
                                        : route->second(request);
    } catch (const std::exception& e) {
      // The reason goes to the log only: it may name internals a client should not see.
      spdlog::error("handler for {} failed: {}", request.path, e.what());
      response = Response{500, "text/plain; charset=utf-8", "internal error\n"};
    }
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

  const Routes routes_;
  std::mutex stop_mutex_;
  std::unique_ptr<listener::http_listener> listener_;
};

}  // namespace

std::unique_ptr<Server> start_server(const ServerOptions& options, Routes routes) {
  return std::make_unique<CpprestServer>(options, std::move(routes));
}

}  // namespace secprov::http
