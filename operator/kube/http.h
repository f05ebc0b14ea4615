#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace secprov::kube {

// The project's own small HTTP interface. Only kube/http1_transport.cpp implements it, so it
// can be replaced without touching callers.

using HttpHeaders = std::map<std::string, std::string>;  // names lower-cased

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // path and query, e.g. /api/v1/namespaces/x/configmaps?limit=10
  HttpHeaders headers;
  std::string body;
  // send(): the whole exchange. open_stream(): until the headers arrive; after that the
  // transport's inactivity timeout bounds silence on the stream.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

// A response whose body is read line by line as it arrives (watch streams).
class HttpLineStream {
 public:
  virtual ~HttpLineStream() = default;
  virtual int status() const = 0;
  virtual const HttpHeaders& headers() const = 0;
  // The next complete line without its newline; nullopt when the stream ended.
  // Throws ApiError(Transport) when the connection broke.
  virtual std::optional<std::string> read_line() = 0;
  // Closes the stream; a blocked read_line returns nullopt. Safe from any thread.
  virtual void cancel() = 0;
};

// TLS material in memory (PEM); files are read by the config layer.
struct TlsSettings {
  std::string ca_pem;           // the only trusted roots; empty: the system trust store
  std::string client_cert_pem;  // empty: no client certificate
  std::string client_key_pem;
  bool insecure_skip_verify = false;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Throws ApiError(Transport|Timeout) when no HTTP answer arrived; any status is returned.
  // Implementations must be safe to call from several threads at once.
  virtual HttpResponse send(const HttpRequest& request) = 0;
  // Opens a streaming request; returns once headers arrived.
  virtual std::unique_ptr<HttpLineStream> open_stream(const HttpRequest& request) = 0;
};

// base_url: scheme://host:port (no trailing slash). inactivity_timeout bounds a silent stream.
// Thread-safe. Throws ConfigError when OpenSSL rejects the TLS material (names the field,
// e.g. "tls.client_key_pem"; never its content).
// HTTP/1.1 over a socket (and OpenSSL for https): requests run on the caller's thread, each on
// a kept-alive connection of its own; a stream has a connection of its own.
std::unique_ptr<HttpTransport> make_http_transport(const std::string& base_url,
                                                   const TlsSettings& tls,
                                                   std::chrono::seconds inactivity_timeout);

}  // namespace secprov::kube
