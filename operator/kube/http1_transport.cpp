// The API client's HTTP/1.1, over a socket and OpenSSL, on its callers' threads: a worker sends
// its request on a kept-alive connection and blocks until the answer, with no hand-off to an
// I/O pool. Replaced libcurl (session 26, issue 12): a GET of a 2.4 KB ConfigMap from the real
// API server cost a median 111 µs of client CPU through libcurl's easy interface and 64 µs here
// (libcurl's reset and options per request, its state machine, and about 8 poll, recv and send
// calls per request where this makes 5: a poll for a kept connection's liveness, the send, a
// poll for the answer, its reads).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/errors.h"
#include "kube/http.h"

namespace secprov::kube {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct OpensslDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(BIO_METHOD* method) const { BIO_meth_free(method); }
};
using CertPtr = std::unique_ptr<X509, OpensslDeleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter>;
using StorePtr = std::unique_ptr<X509_STORE, OpensslDeleter>;
using BioPtr = std::unique_ptr<BIO, OpensslDeleter>;
using SslContextPtr = std::unique_ptr<SSL_CTX, OpensslDeleter>;
using SslPtr = std::unique_ptr<SSL, OpensslDeleter>;
using BioMethodPtr = std::unique_ptr<BIO_METHOD, OpensslDeleter>;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string openssl_reason(const char* fallback) {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : fallback;
}

// An encrypted key would otherwise make OpenSSL prompt on the terminal.
int no_password(char*, int, int, void*) {
  return 0;
}

std::vector<CertPtr> read_certificates(const std::string& pem, const char* field) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw ConfigError(field, "out of memory");
  std::vector<CertPtr> certs;
  while (CertPtr cert{PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr)}) {
    certs.push_back(std::move(cert));
  }
  const unsigned long last = ERR_peek_last_error();
  // The loop always ends on "no start line"; anything else, or no certificate, is a rejection.
  if (certs.empty() || (last != 0 && ERR_GET_REASON(last) != PEM_R_NO_START_LINE)) {
    throw ConfigError(field, "rejected by OpenSSL: " + openssl_reason("no PEM data"));
  }
  ERR_clear_error();
  return certs;
}

// ---- the socket BIO ------------------------------------------------------------------------
// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE on a connection the
// server closed; this one sends with MSG_NOSIGNAL, so a library never touches the process's
// signal dispositions.

int bio_fd(BIO* bio) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t sent = ::send(bio_fd(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(sent);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t got = ::recv(bio_fd(bio), data, static_cast<std::size_t>(size), 0);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(got);
}

long bio_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  // Built once, immutable after (thread-safe in C++); lives as long as the process.
  static const BioMethodPtr method = [] {
    BioMethodPtr made(BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "secprov socket"));
    if (made) {
      BIO_meth_set_write(made.get(), bio_write);
      BIO_meth_set_read(made.get(), bio_read);
      BIO_meth_set_ctrl(made.get(), bio_ctrl);
      BIO_meth_set_create(made.get(), bio_create);
    }
    return made;
  }();
  return method.get();
}

// ---- the endpoint --------------------------------------------------------------------------

// Everything that stays the same for every request of one transport.
struct Endpoint {
  bool tls = false;
  std::string host;         // a name or an address, without brackets
  std::string port;         // as given, or the scheme's
  std::string host_header;  // host[:port] as in the URL
  std::string path_prefix;  // a server URL's path (a proxy's prefix), without a trailing slash
  bool host_is_address = false;
  SslContextPtr context;  // https only: trust, client certificate, TLS versions
  milliseconds inactivity{};
};

bool is_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

Endpoint parse_endpoint(const std::string& base_url) {
  Endpoint endpoint;
  std::string_view rest(base_url);
  if (rest.rfind("https://", 0) == 0) {
    endpoint.tls = true;
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    throw ConfigError("server", "not a usable URL: it must start with https:// or http://");
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string path =
      slash == std::string_view::npos ? std::string{} : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      path.find_first_of("?#") != std::string::npos) {
    throw ConfigError("server", "not a usable URL: expected scheme://host[:port][/path]");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw ConfigError("server", "not a usable URL: unclosed [");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw ConfigError("server", "not a usable URL: text after ]");
      port = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || (!port.empty() && !std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      }))) {
    throw ConfigError("server", "not a usable URL: bad host or port");
  }
  endpoint.host = std::string(host);
  endpoint.port = port.empty() ? (endpoint.tls ? "443" : "80") : std::string(port);
  endpoint.host_header = std::string(authority);
  endpoint.path_prefix = std::move(path);
  endpoint.host_is_address = is_address(endpoint.host);
  return endpoint;
}

// The TLS material parsed once into the one SSL_CTX every connection of the transport uses.
SslContextPtr make_tls_context(const TlsSettings& tls) {
  SslContextPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context) throw ConfigError("tls", "out of memory");
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  // Kept connections are few (the pool's and the watches'): they keep their record buffers
  // rather than a malloc and free of about 17 KiB per read.
  SSL_CTX_clear_mode(context.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_mode(context.get(), SSL_MODE_AUTO_RETRY);
  // A server that closes without close_notify ends the stream like any close (with this BIO,
  // OpenSSL reports it as SSL_ERROR_SYSCALL with errno 0, read_some's end): the HTTP framing
  // (Content-Length, the last chunk) tells a whole answer from a cut one.
  SSL_CTX_set_options(context.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(context.get(), kAlpn, sizeof kAlpn);
  if (!tls.insecure_skip_verify) SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  if (!tls.ca_pem.empty()) {
    // The configured CA alone, as client-go does: the system store would also accept any
    // public CA's certificate for the API server's name.
    StorePtr trusted(X509_STORE_new());
    if (!trusted) throw ConfigError("tls.ca_pem", "out of memory");
    for (const auto& cert : read_certificates(tls.ca_pem, "tls.ca_pem")) {
      if (X509_STORE_add_cert(trusted.get(), cert.get()) != 1) {
        throw ConfigError("tls.ca_pem", "rejected by OpenSSL: " + openssl_reason("no PEM data"));
      }
    }
    SSL_CTX_set_cert_store(context.get(), trusted.release());  // the context owns it
  } else if (SSL_CTX_set_default_verify_paths(context.get()) != 1) {
    ERR_clear_error();  // no system store: verification will fail and say so
  }
  if (!tls.client_cert_pem.empty()) {
    const auto chain = read_certificates(tls.client_cert_pem, "tls.client_cert_pem");
    const BioPtr bio(
        BIO_new_mem_buf(tls.client_key_pem.data(), static_cast<int>(tls.client_key_pem.size())));
    const KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)
                         : nullptr);
    if (!key) {
      throw ConfigError("tls.client_key_pem",
                        "rejected by OpenSSL: " + openssl_reason("no PEM data"));
    }
    if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
      throw ConfigError("tls.client_key_pem",
                        "rejected by OpenSSL: " + openssl_reason("no PEM data") +
                            " (it does not match tls.client_cert_pem)");
    }
    if (SSL_CTX_use_certificate(context.get(), chain.front().get()) != 1 ||
        SSL_CTX_use_PrivateKey(context.get(), key.get()) != 1) {
      throw ConfigError("tls.client_cert_pem",
                        "rejected by OpenSSL: " + openssl_reason("unusable certificate"));
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
      if (SSL_CTX_add1_chain_cert(context.get(), chain[i].get()) != 1) {
        throw ConfigError("tls.client_cert_pem",
                          "rejected by OpenSSL: " + openssl_reason("unusable chain"));
      }
    }
  }
  return context;
}

// ---- one connection ------------------------------------------------------------------------

std::string system_error(const char* doing) {
  return std::string(doing) + ": " + std::strerror(errno);
}

milliseconds left_until(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
  return std::max(left, milliseconds::zero());
}

// Closes the socket when the connection goes, also when its constructor throws.
class SocketFd {
 public:
  SocketFd() = default;
  ~SocketFd() { reset(-1); }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A non-blocking socket, with TLS when the endpoint has it. Reads and writes wait in poll(2)
// until a deadline. shut() may be called from another thread to end a blocked wait.
class Connection {
 public:
  Connection(const Endpoint& endpoint, const std::string& what, Clock::time_point deadline)
      : what_(what) {
    connect_socket(endpoint, deadline);
    if (endpoint.tls) handshake(endpoint, deadline);
  }
  ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void write_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      std::size_t written = 0;
      if (ssl_) {
        clear_errors();
        if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) {
          await_tls(SSL_get_error(ssl_.get(), 0), deadline, "send");
          continue;
        }
      } else {
        const ssize_t sent = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK) fail(system_error("send"));
          await(POLLOUT, deadline);
          continue;
        }
        written = static_cast<std::size_t>(sent);
      }
      data.remove_prefix(written);
    }
  }

  // Up to `size` bytes; 0 when the peer closed the connection.
  std::size_t read_some(char* buffer, std::size_t size, Clock::time_point deadline) {
    for (;;) {
      if (ssl_) {
        std::size_t got = 0;
        clear_errors();
        if (SSL_read_ex(ssl_.get(), buffer, size, &got) == 1) return got;
        const int error = SSL_get_error(ssl_.get(), 0);
        if (error == SSL_ERROR_ZERO_RETURN) return 0;
        // A peer gone without close_notify: an end, which the caller judges by the framing.
        if (error == SSL_ERROR_SYSCALL && (errno == 0 || errno == ECONNRESET)) return 0;
        await_tls(error, deadline, "receive");
      } else {
        const ssize_t got = ::recv(fd_.get(), buffer, size, 0);
        if (got >= 0) return static_cast<std::size_t>(got);
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK) fail(system_error("receive"));
        await(POLLIN, deadline);
      }
    }
  }

  // Waits until something can be read (a TLS record may already be buffered).
  void await_readable(Clock::time_point deadline) {
    if (ssl_ && SSL_has_pending(ssl_.get()) == 1) return;
    await(POLLIN, deadline);
  }

  // An idle kept connection is reusable when the server sent nothing since its last answer:
  // anything readable now is its close (or a protocol error).
  bool idle_and_open() const {
    if (ssl_ && SSL_has_pending(ssl_.get()) == 1) return false;
    pollfd entry{fd_.get(), POLLIN, 0};
    return ::poll(&entry, 1, 0) == 0;
  }

  // Ends the connection for a reader blocked in another thread.
  void shut() { ::shutdown(fd_.get(), SHUT_RDWR); }

  // When the connection went back to the pool: one idle too long is not reused (the API
  // server closes idle connections after 90 s; libcurl dropped them after 118 s).
  Clock::time_point idle_since{};

  // Bytes received and not yet consumed, kept with the connection so that a kept connection
  // reads each answer into the same storage (no allocation of a read buffer per request).
  std::string& inbox() { return inbox_; }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ApiError(ErrorKind::Transport, 0, what_ + ": " + why);
  }

  // Before each TLS call: SSL_get_error reads OpenSSL's queue and, for SSL_ERROR_SYSCALL,
  // errno, which an earlier call may have left set.
  static void clear_errors() {
    ERR_clear_error();
    errno = 0;
  }

  void await(short events, Clock::time_point deadline) {
    for (;;) {
      const auto left = left_until(deadline);
      if (left == milliseconds::zero()) {
        throw ApiError(ErrorKind::Timeout, 0, what_ + ": timed out");
      }
      pollfd entry{fd_.get(), events, 0};
      const int ready = ::poll(
          &entry, 1, static_cast<int>(std::min<milliseconds::rep>(left.count(), 24 * 3600 * 1000)));
      if (ready > 0) return;  // including errors and hang-ups: the next call reports them
      if (ready < 0 && errno != EINTR) fail(system_error("poll"));
    }
  }

  void await_tls(int error, Clock::time_point deadline, const char* doing) {
    if (error == SSL_ERROR_WANT_READ) return await(POLLIN, deadline);
    if (error == SSL_ERROR_WANT_WRITE) return await(POLLOUT, deadline);
    if (error == SSL_ERROR_SYSCALL && errno != 0) fail(system_error(doing));
    fail(std::string("TLS ") + doing + " failed: " + openssl_reason("connection closed"));
  }

  void connect_socket(const Endpoint& endpoint, Clock::time_point deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = endpoint.host_is_address ? AI_NUMERICHOST : 0;
    addrinfo* found = nullptr;
    if (const int code =
            ::getaddrinfo(endpoint.host.c_str(), endpoint.port.c_str(), &hints, &found);
        code != 0) {
      fail(std::string("cannot resolve ") + endpoint.host + ": " + gai_strerror(code));
    }
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
    std::string last_error = "no address";
    for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
      const int fd =
          ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   address->ai_protocol);
      if (fd < 0) {
        last_error = system_error("socket");
        continue;
      }
      fd_.reset(fd);
      if (::connect(fd_.get(), address->ai_addr, address->ai_addrlen) == 0 ||
          errno == EINPROGRESS) {
        await(POLLOUT, deadline);
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) {
          const int one = 1;
          ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          // A peer gone without a FIN (a node or load balancer failing) shows within a minute,
          // as client-go's dialer does, rather than after the kernel's two hours.
          const int idle = 30, interval = 10, probes = 3;
          ::setsockopt(fd_.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
          ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
          ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
          ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
          return;
        }
        errno = error;
      }
      last_error = system_error("connect");
    }
    fail("cannot connect to " + endpoint.host_header + " (" + last_error + ")");
  }

  void handshake(const Endpoint& endpoint, Clock::time_point deadline) {
    ssl_.reset(SSL_new(endpoint.context.get()));
    BIO* bio = ssl_ ? BIO_new(socket_bio_method()) : nullptr;
    if (bio == nullptr) fail("out of memory");
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd_.get())));
    SSL_set_bio(ssl_.get(), bio, bio);  // the SSL owns the BIO
    // Fails closed: a host OpenSSL cannot take is an error, never a connection whose
    // certificate is checked against no name.
    const bool host_set =
        endpoint.host_is_address
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), endpoint.host.c_str()) == 1
            : SSL_set_tlsext_host_name(ssl_.get(), endpoint.host.c_str()) == 1 &&
                  SSL_set1_host(ssl_.get(), endpoint.host.c_str()) == 1;
    // As Go's crypto/tls: no partial wildcards ("a*.example"), never the subject's CN.
    SSL_set_hostflags(ssl_.get(),
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (!host_set) {
      ERR_clear_error();
      fail("cannot check the server's certificate against " + endpoint.host);
    }
    for (;;) {
      clear_errors();
      if (SSL_connect(ssl_.get()) == 1) return;
      const int error = SSL_get_error(ssl_.get(), 0);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        const long verified = SSL_get_verify_result(ssl_.get());
        if (verified != X509_V_OK) {
          ERR_clear_error();
          fail(std::string("the server's certificate was not accepted: ") +
               X509_verify_cert_error_string(verified));
        }
      }
      await_tls(error, deadline, "handshake");
    }
  }

  const std::string what_;
  SocketFd fd_;
  SslPtr ssl_;  // after the socket: freed first (the BIO only borrows the descriptor)
  std::string inbox_;
};

// ---- HTTP/1.1 ------------------------------------------------------------------------------

std::string describe(const HttpRequest& request) {
  // The path only: the query may carry continue tokens, which are long and useless in logs.
  return request.method + " " + request.target.substr(0, request.target.find('?'));
}

// No byte of a request line or header may end it early or start another one.
bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f && std::strchr("\"(),/:;<=>?@[\\]{}", c) == nullptr;
  });
}
bool is_visible(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c > 0x20 && c != 0x7f; });
}
bool is_field_value(std::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](unsigned char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string request_bytes(const Endpoint& endpoint, const HttpRequest& request) {
  bool well_formed = is_token(request.method) && !request.target.empty() &&
                     request.target.front() == '/' && is_visible(request.target);
  for (const auto& [name, value] : request.headers) {
    well_formed = well_formed && is_token(name) && is_field_value(value);
  }
  if (!well_formed) {
    throw ApiError(ErrorKind::BadRequest, 0,
                   describe(request) +
                       ": not sent: its method, target or a header holds a byte HTTP does not "
                       "allow there");
  }
  std::string out;
  out.reserve(256 + request.target.size() + request.body.size());
  out.append(request.method).append(" ").append(endpoint.path_prefix).append(request.target);
  out.append(" HTTP/1.1\r\nHost: ").append(endpoint.host_header).append("\r\n");
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    const std::string key = lower(name);
    if (key == "host" || key == "content-length" || key == "transfer-encoding" ||
        key == "connection") {
      continue;  // the transport's own framing
    }
    has_content_type = has_content_type || key == "content-type";
    out.append(name).append(": ").append(value).append("\r\n");
  }
  const bool sends_body = !request.body.empty() || request.method == "POST" ||
                          request.method == "PUT" || request.method == "PATCH";
  if (sends_body) {
    if (!request.body.empty() && !has_content_type) {
      out.append("Content-Type: application/octet-stream\r\n");
    }
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return out;
}

// Reads one response from a connection: the status line and headers (interim 1xx answers
// skipped), then the body as its framing says (Content-Length, chunked, or to the close).
class ResponseReader {
 public:
  ResponseReader(Connection& connection, std::string what)
      : connection_(connection), what_(std::move(what)), raw_(connection.inbox()) {
    raw_.clear();  // a kept connection is reused only with nothing left over
  }

  // False when the connection ended before the first byte of an answer (a kept connection the
  // server had closed: the request may be sent again on a new one).
  bool read_head(Clock::time_point deadline, bool may_be_stale) {
    for (;;) {
      auto end = raw_.find("\r\n\r\n", start_);
      while (end == std::string::npos) {
        if (raw_.size() - start_ > kMaxHead) fail("headers longer than 1 MiB");
        if (!fill(deadline)) {
          if (may_be_stale && raw_.empty()) return false;
          fail("connection closed before the headers");
        }
        end = raw_.find("\r\n\r\n", start_);
      }
      parse_head(std::string_view(raw_).substr(start_, end - start_));
      start_ = end + 4;
      if (status_ >= 200) return true;
      headers_.clear();  // 1xx: the final answer follows
    }
  }

  int status() const { return status_; }
  std::optional<std::size_t> declared_length() const {
    if (framing_ != Framing::Length) return std::nullopt;
    return remaining_;
  }
  const HttpHeaders& headers() const { return headers_; }
  HttpHeaders take_headers() { return std::move(headers_); }
  // A HEAD request's answer has no body, whatever its headers say.
  void expect_no_body() { head_request_ = true; }

  // Appends body bytes to `out`, reading more when none are buffered; false when the body
  // has ended (nothing was appended then).
  bool read_body(std::string& out, Clock::time_point deadline) {
    for (;;) {
      if (done_) return false;
      const std::size_t before = out.size();
      decode(out);
      if (out.size() != before) return true;
      if (done_) return false;
      if (!fill(deadline)) {
        if (framing_ == Framing::UntilClose) {
          done_ = true;
          return false;
        }
        fail("connection closed in the middle of the body");
      }
    }
  }

  // The connection may carry the next request: the whole body was read, nothing is left
  // over, and neither side asked to close.
  bool reusable() const { return done_ && keep_alive_ && start_ == raw_.size(); }

 private:
  enum class Framing { None, Length, Chunked, UntilClose };
  enum class ChunkState { Size, Data, DataEnd, Trailer };

  [[noreturn]] void fail(const std::string& why) const {
    throw ApiError(ErrorKind::Transport, 0, what_ + ": " + why);
  }

  bool fill(Clock::time_point deadline) {
    if (start_ == raw_.size()) {
      raw_.clear();
      start_ = 0;
    } else if (start_ > 64 * 1024) {
      raw_.erase(0, start_);
      start_ = 0;
    }
    std::array<char, kReadSize> chunk;  // not zeroed: only what was read is copied
    const std::size_t got = connection_.read_some(chunk.data(), chunk.size(), deadline);
    raw_.append(chunk.data(), got);
    return got > 0;
  }

  void parse_head(std::string_view head) {
    const auto first_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, first_end);
    const bool http11 = status_line.rfind("HTTP/1.1 ", 0) == 0;
    if (!http11 && status_line.rfind("HTTP/1.0 ", 0) != 0) fail("not an HTTP/1.x answer");
    int status = 0;
    const auto code = status_line.substr(9, 3);
    if (std::from_chars(code.data(), code.data() + code.size(), status).ec != std::errc{} ||
        status < 100 || status > 599) {
      fail("bad status line");
    }
    status_ = status;
    std::string_view rest =
        first_end == std::string_view::npos ? std::string_view{} : head.substr(first_end + 2);
    while (!rest.empty()) {
      const auto line_end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, line_end);
      rest = line_end == std::string_view::npos ? std::string_view{} : rest.substr(line_end + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) fail("bad header line");
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      auto& slot = headers_[lower(line.substr(0, colon))];
      if (!slot.empty()) slot += ", ";  // a repeated header, as HTTP folds it
      slot += value;
    }
    if (status_ < 200) return;
    const auto connection = headers_.find("connection");
    const std::string connection_value =
        connection == headers_.end() ? "" : lower(connection->second);
    keep_alive_ = http11 ? connection_value.find("close") == std::string::npos
                         : connection_value.find("keep-alive") != std::string::npos;
    const auto encoding = headers_.find("transfer-encoding");
    const auto length = headers_.find("content-length");
    if (status_ == 204 || status_ == 304 || head_request_) {
      framing_ = Framing::None;
    } else if (encoding != headers_.end()) {
      // Only what a Go server sends; anything else could frame the body another way.
      if (lower(encoding->second) != "chunked") fail("unsupported Transfer-Encoding");
      framing_ = Framing::Chunked;
      if (length != headers_.end()) keep_alive_ = false;  // both: RFC 9112 6.3, close after
    } else if (length != headers_.end()) {
      // One decimal number and nothing else (two differing headers fold into "a, b").
      const auto& text = length->second;
      std::size_t size = 0;
      const auto parsed = std::from_chars(text.data(), text.data() + text.size(), size);
      if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
        fail("bad Content-Length");
      }
      framing_ = Framing::Length;
      remaining_ = size;
    } else {
      framing_ = Framing::UntilClose;
      keep_alive_ = false;
    }
    done_ = framing_ == Framing::None || (framing_ == Framing::Length && remaining_ == 0);
  }

  // Moves what is buffered of the body into `out`, as far as the framing allows.
  void decode(std::string& out) {
    const std::string_view buffered = std::string_view(raw_).substr(start_);
    switch (framing_) {
      case Framing::None:
        done_ = true;
        return;
      case Framing::UntilClose:
        out.append(buffered);
        start_ = raw_.size();
        return;
      case Framing::Length: {
        const std::size_t take = std::min(remaining_, buffered.size());
        out.append(buffered.substr(0, take));
        start_ += take;
        remaining_ -= take;
        done_ = remaining_ == 0;
        return;
      }
      case Framing::Chunked:
        decode_chunks(out);
        return;
    }
  }

  void decode_chunks(std::string& out) {
    while (!done_ && start_ < raw_.size()) {
      const std::string_view buffered = std::string_view(raw_).substr(start_);
      if (chunk_state_ == ChunkState::Data) {
        const std::size_t take = std::min(remaining_, buffered.size());
        out.append(buffered.substr(0, take));
        start_ += take;
        remaining_ -= take;
        if (remaining_ == 0) chunk_state_ = ChunkState::DataEnd;
        continue;
      }
      const auto line_end = buffered.find("\r\n");
      if (line_end == std::string_view::npos) {
        if (buffered.size() > 4096) fail("chunk header too long");
        return;  // wait for the rest of the line
      }
      const std::string_view line = buffered.substr(0, line_end);
      start_ += line_end + 2;
      switch (chunk_state_) {
        case ChunkState::Size: {
          const std::string_view digits = line.substr(0, line.find_first_of("; \t"));
          std::size_t size = 0;
          const auto parsed =
              std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
          if (digits.empty() || parsed.ec != std::errc{} ||
              parsed.ptr != digits.data() + digits.size()) {
            fail("bad chunk size");
          }
          remaining_ = size;
          chunk_state_ = size == 0 ? ChunkState::Trailer : ChunkState::Data;
          break;
        }
        case ChunkState::DataEnd:
          if (!line.empty()) fail("chunk not followed by CRLF");
          chunk_state_ = ChunkState::Size;
          break;
        case ChunkState::Trailer:
          if (line.empty()) done_ = true;  // trailer fields are ignored
          break;
        case ChunkState::Data:
          break;
      }
    }
  }

  static constexpr std::size_t kReadSize = 16 * 1024;
  static constexpr std::size_t kMaxHead = 1024 * 1024;  // Go's default limit on a server

  Connection& connection_;
  const std::string what_;
  std::string& raw_;  // received (the connection's inbox), not yet decoded from start_ on
  std::size_t start_ = 0;
  int status_ = 0;
  HttpHeaders headers_;
  Framing framing_ = Framing::None;
  ChunkState chunk_state_ = ChunkState::Size;
  std::size_t remaining_ = 0;
  bool keep_alive_ = false;
  bool done_ = false;
  bool head_request_ = false;
};

// A watch's body, read line by line on the reader's own thread; cancel() shuts the socket,
// which ends a blocked read at once.
class SocketLineStream final : public HttpLineStream {
 public:
  SocketLineStream(const Endpoint& endpoint, const HttpRequest& request)
      : inactivity_(endpoint.inactivity),
        what_(describe(request)),
        headers_due_(Clock::now() + request.timeout),
        connection_(endpoint, what_, headers_due_),
        reader_(connection_, what_ + " (stream)") {
    connection_.write_all(request_bytes(endpoint, request), headers_due_);
    connection_.await_readable(headers_due_);
    if (!reader_.read_head(headers_due_, /*may_be_stale=*/false)) {
      throw ApiError(ErrorKind::Transport, 0, what_ + ": connection closed before the headers");
    }
  }

  int status() const override { return reader_.status(); }
  const HttpHeaders& headers() const override { return reader_.headers(); }

  std::optional<std::string> read_line() override {
    for (;;) {
      if (cancelled_.load()) return end();
      if (auto line = next_buffered_line()) return line;
      if (ended_) {
        // A last line without its newline; then the end, for good.
        if (start_ == pending_.size()) return end();
        std::string last = pending_.substr(start_);
        end();
        return last;
      }
      if (start_ > 0) {  // drop what was returned before reading more
        pending_.erase(0, start_);
        scanned_ -= start_;
        start_ = 0;
      }
      try {
        if (!reader_.read_body(pending_, Clock::now() + inactivity_)) ended_ = true;
      } catch (const ApiError& error) {
        if (cancelled_.load()) return end();
        end();
        if (error.kind() == ErrorKind::Timeout) {
          throw ApiError(ErrorKind::Timeout, 0,
                         what_ + " (stream): nothing received for " +
                             std::to_string(inactivity_.count()) + " ms");
        }
        throw;
      }
    }
  }

  void cancel() override {
    if (cancelled_.exchange(true)) return;
    connection_.shut();  // safe from any thread: the socket stays open until destruction
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

  std::optional<std::string> end() {
    ended_ = true;
    pending_.clear();
    start_ = scanned_ = 0;
    return std::nullopt;
  }

  const milliseconds inactivity_;
  const std::string what_;
  const Clock::time_point headers_due_;
  std::atomic<bool> cancelled_{false};
  Connection connection_;
  ResponseReader reader_;
  // Only touched by the reading thread: the decoded body, the start of the next line in it
  // and how far it was searched for a newline.
  std::string pending_;
  std::size_t start_ = 0;
  std::size_t scanned_ = 0;
  bool ended_ = false;
};

constexpr auto kMaxIdleTime = std::chrono::seconds(60);

// Whether a request may be sent again after its connection ended without a byte of answer
// although the server may have read it: only methods that change nothing (as Go's net/http).
bool safe_to_resend(const std::string& method) {
  return method == "GET" || method == "HEAD";
}

class SocketTransport final : public HttpTransport {
 public:
  explicit SocketTransport(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

  HttpResponse send(const HttpRequest& request) override {
    const std::string what = describe(request);
    const auto deadline = Clock::now() + request.timeout;
    const std::string bytes = request_bytes(endpoint_, request);
    try {
      // A kept connection the server closed while it was idle fails the write, or ends before
      // the answer's first byte: the request is sent once more on a new connection (a write
      // that failed never reached the server whole; after a whole one, only a GET or HEAD).
      for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Connection> connection = attempt == 0 ? take_idle() : nullptr;
        const bool reused = connection != nullptr;
        if (!connection) connection = std::make_unique<Connection>(endpoint_, what, deadline);
        if (auto response = exchange(connection, bytes, request, what, deadline, reused)) {
          return std::move(*response);
        }
      }
    } catch (const ApiError& error) {
      if (error.kind() == ErrorKind::Timeout) {
        throw ApiError(
            ErrorKind::Timeout, 0,
            what + ": no answer within " + std::to_string(request.timeout.count()) + " ms");
      }
      throw;
    }
  }

  std::unique_ptr<HttpLineStream> open_stream(const HttpRequest& request) override {
    try {
      return std::make_unique<SocketLineStream>(endpoint_, request);
    } catch (const ApiError& error) {
      if (error.kind() == ErrorKind::Timeout) {
        throw ApiError(ErrorKind::Timeout, 0,
                       describe(request) + ": no answer within " +
                           std::to_string(request.timeout.count()) + " ms");
      }
      throw;
    }
  }

 private:
  // nullopt: a reused connection ended before answering (send again on a new one).
  std::optional<HttpResponse> exchange(std::unique_ptr<Connection>& connection,
                                       const std::string& bytes, const HttpRequest& request,
                                       const std::string& what, Clock::time_point deadline,
                                       bool reused) {
    ResponseReader reader(*connection, what);
    if (request.method == "HEAD") reader.expect_no_body();
    try {
      connection->write_all(bytes, deadline);
    } catch (const ApiError& error) {
      if (reused && error.kind() == ErrorKind::Transport) return std::nullopt;
      throw;
    }
    connection->await_readable(deadline);
    if (!reader.read_head(deadline, reused && safe_to_resend(request.method))) return std::nullopt;
    HttpResponse response;
    response.status = reader.status();
    response.headers = reader.take_headers();
    // One allocation rather than the string's doubling from 15 bytes: the declared length, or
    // for a chunked answer a few KiB (a write's answer is a Secret, a profile); capped, the
    // string grows past it if a longer body really comes.
    response.body.reserve(
        std::min<std::size_t>(reader.declared_length().value_or(8 * 1024), 1024 * 1024));
    while (reader.read_body(response.body, deadline)) {
    }
    if (reader.reusable()) give_back(std::move(connection));
    return response;
  }

  std::unique_ptr<Connection> take_idle() {
    for (;;) {
      std::unique_ptr<Connection> connection;
      {
        const std::lock_guard lock(idle_mutex_);
        if (idle_.empty()) return nullptr;
        connection = std::move(idle_.back());
        idle_.pop_back();
      }
      if (Clock::now() - connection->idle_since < kMaxIdleTime && connection->idle_and_open()) {
        return connection;
      }
      // Closed by the server while idle: dropped here, outside the lock.
    }
  }

  void give_back(std::unique_ptr<Connection> connection) {
    static constexpr std::size_t kMaxIdle = 32;  // beyond this, a burst's extra connections close
    connection->idle_since = Clock::now();
    const std::lock_guard lock(idle_mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
  }

  const Endpoint endpoint_;
  std::mutex idle_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

std::unique_ptr<HttpTransport> make_http_transport(const std::string& base_url,
                                                   const TlsSettings& tls,
                                                   std::chrono::seconds inactivity_timeout) {
  Endpoint endpoint = parse_endpoint(base_url);
  // Fails here, naming the field, rather than later as an opaque handshake failure.
  SslContextPtr context = make_tls_context(tls);
  if (endpoint.tls) endpoint.context = std::move(context);
  endpoint.inactivity = inactivity_timeout;
  return std::make_unique<SocketTransport>(std::move(endpoint));
}

}  // namespace secprov::kube
