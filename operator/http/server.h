#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace secprov::http {

// The operator's own small HTTP server interface (probes, metrics, later admission
// webhooks). Only cpprest_server.cpp knows the library behind it.

struct Request {
  std::string method;
  std::string path;  // without the query
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;
// Exact path -> handler; a key ending in '/' also answers every longer path under it (the
// longest such prefix wins).
using Routes = std::map<std::string, Handler>;

// Read again on the first connection after either file changed (rotation without a
// restart); a pair that does not load (key not the certificate's) is skipped and the last
// pair that loaded is served meanwhile. A connection before any pair loaded fails its handshake.
struct ServerTls {
  std::filesystem::path cert_file;  // PEM chain
  std::filesystem::path key_file;   // PEM key
};

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;
  std::optional<ServerTls> tls;  // serve HTTPS when set
};

class Server {
 public:
  virtual ~Server() = default;
  virtual void stop() = 0;  // idempotent; the destructor stops too
};

// Starts listening before returning. Throws std::runtime_error if the port cannot be bound.
// Unknown paths answer 404; a throwing handler answers 500 without the exception text.
std::unique_ptr<Server> start_server(const ServerOptions& options, Routes routes);

}  // namespace secprov::http
