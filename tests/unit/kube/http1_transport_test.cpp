// The HTTP/1.1 transport against a local plain-HTTP cpprestsdk http_listener (streaming,
// cancel, timeouts, connection errors) and a scripted raw-socket peer (framing, kept
// connections, malformed answers). TLS is covered by the integration tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

// clang-format off
// gtest first: cpprest defines a macro U(x) that breaks gtest templates with a parameter U.
#include <gtest/gtest.h>
#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
// clang-format on

#include "kube/errors.h"
#include "kube/http.h"
#include "support/free_port.h"

namespace secprov::kube {
namespace {

using namespace std::chrono_literals;
namespace http = web::http;
using Listener = http::experimental::listener::http_listener;
using Line = std::optional<std::string>;

// Writes lines into a response body while the response is being sent (chunked).
class BodyWriter {
 public:
  void write(const std::string& text) {
    buffer_.putn_nocopy(reinterpret_cast<const uint8_t*>(text.data()), text.size()).wait();
    buffer_.sync().wait();
  }
  void close() { buffer_.close(std::ios_base::out).wait(); }
  concurrency::streams::istream stream() const { return buffer_.create_istream(); }

 private:
  concurrency::streams::producer_consumer_buffer<uint8_t> buffer_;
};

// A one-line "event" signal with a timeout, so a broken expectation fails instead of hanging.
class Signal {
 public:
  void set() {
    {
      const std::lock_guard lock(mutex_);
      set_ = true;
    }
    changed_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_url = "http://127.0.0.1:" + std::to_string(secprov::testing::free_loopback_port());
    listener = std::make_unique<Listener>(base_url);
    listener->support([this](http::http_request request) { handle(std::move(request)); });
    listener->open().wait();
    transport = make_http_transport(base_url, TlsSettings{}, 5s);
  }
  void TearDown() override {
    release.set();
    if (server_thread.joinable()) server_thread.join();
    transport.reset();
    listener->close().wait();
  }

  void handle(http::http_request request) {  // a handle: copies share the request
    const std::string path = request.relative_uri().path();
    if (path == "/echo") {
      http::http_response response(http::status_codes::Created);
      response.headers().add("X-Seen-Method", request.method());
      response.headers().add("X-Seen-Query", request.relative_uri().query());
      response.headers().add("X-Seen-Type", request.headers().content_type());
      response.headers().add("X-Seen-Auth", request.headers()["Authorization"]);
      request.extract_string(/*ignore_content_type=*/true)
          .then([request, response](const std::string& body) mutable {
            response.set_body(body, "application/json");
            return request.reply(response);
          });
    } else if (path == "/stream") {
      // Three lines with pauses; each next line waits until the client read the last one.
      auto writer = std::make_shared<BodyWriter>();
      http::http_response response(http::status_codes::OK);
      response.set_body(writer->stream(), "application/json");
      request.reply(response);
      server_thread = std::thread([this, writer] {
        for (int i = 0; i < 3; ++i) {
          lines_written = i + 1;  // before writing: the reader must never see it lag
          writer->write("line " + std::to_string(i) + "\n");
          if (i < 2) {
            read_before_next[i] = line_read[i].wait(3s);
            std::this_thread::sleep_for(50ms);
          }
        }
        writer->close();
      });
    } else if (path == "/hang-after-one") {
      auto writer = std::make_shared<BodyWriter>();
      http::http_response response(http::status_codes::OK);
      response.set_body(writer->stream(), "application/json");
      request.reply(response);
      server_thread = std::thread([this, writer] {
        writer->write("only\n");
        release.wait(10s);
        try {
          writer->close();
        } catch (const std::exception&) {
          // The client closed the stream first, and the server dropped its body: expected.
        }
      });
    } else if (path == "/many-lines") {
      // Lines that arrive together, and one longer than any read of the body.
      std::string body;
      for (int i = 0; i < 2000; ++i) body += "event " + std::to_string(i) + "\n";
      body += std::string(300 * 1024, 'x') + "\n" + "after\n";
      request.reply(http::status_codes::OK, body, "application/json").wait();
    } else if (path == "/blank-lines") {
      request.reply(http::status_codes::OK, "a\n\r\nb", "text/plain").wait();
    } else if (path == "/slow") {
      server_thread = std::thread([this, request] {
        release.wait(10s);
        try {
          request.reply(http::status_codes::OK, "late").wait();
        } catch (const std::exception&) {
          // The client gave up and closed the connection: expected.
        }
      });
    } else {
      request
          .reply(http::status_codes::NotFound, R"({"kind":"Status","code":404})",
                 "application/json")
          .wait();
    }
  }

  HttpRequest get(const std::string& target) const {
    HttpRequest request;
    request.method = "GET";
    request.target = target;
    request.timeout = 5s;
    return request;
  }

  std::string base_url;
  std::unique_ptr<Listener> listener;
  std::unique_ptr<HttpTransport> transport;
  std::thread server_thread;
  Signal release;
  Signal line_read[2];
  std::atomic<int> lines_written{0};
  bool read_before_next[2] = {false, false};
};

TEST_F(TransportTest, SendRoundTripsMethodHeadersAndBody) {
  HttpRequest request;
  request.method = "PATCH";
  request.target = "/echo?fieldManager=secprov&force=true";
  request.headers = {{"content-type", "application/apply-patch+yaml"},
                     {"authorization", "Bearer abc"}};
  request.body = R"({"a":1})";
  const HttpResponse response = transport->send(request);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"({"a":1})");
  EXPECT_EQ(response.headers.at("x-seen-method"), "PATCH");  // names lower-cased
  EXPECT_EQ(response.headers.at("x-seen-query"), "fieldManager=secprov&force=true");
  EXPECT_EQ(response.headers.at("x-seen-type"), "application/apply-patch+yaml");
  EXPECT_EQ(response.headers.at("x-seen-auth"), "Bearer abc");
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
}

TEST_F(TransportTest, AConnectionServingRequestsInTurnCarriesNothingFromOneToTheNext) {
  // Sent one after another from one thread, these reuse one kept connection: each request's
  // method, body, headers and query are its own.
  struct Step {
    std::string method, target, body, content_type, authorization;
  };
  const std::vector<Step> steps = {
      {"PATCH", "/echo?force=true", R"({"a":1})", "application/merge-patch+json", "Bearer abc"},
      {"GET", "/echo", "", "", ""},
      {"DELETE", "/echo?propagationPolicy=Background", R"({"kind":"DeleteOptions"})",
       "application/json", ""},
      {"DELETE", "/echo", "", "", "Bearer def"},
      {"PUT", "/echo", "", "application/json", ""},
      {"POST", "/echo", std::string(70 * 1024, 'p'), "application/json", ""},
      {"GET", "/echo?watch=false", "", "", ""},
      {"PATCH", "/echo", "{}", "application/apply-patch+yaml", ""},
  };
  for (int round = 0; round < 2; ++round) {
    for (const auto& step : steps) {
      HttpRequest request;
      request.method = step.method;
      request.target = step.target;
      request.body = step.body;
      request.timeout = 5s;
      if (!step.content_type.empty()) request.headers["Content-Type"] = step.content_type;
      if (!step.authorization.empty()) request.headers["Authorization"] = step.authorization;
      const HttpResponse response = transport->send(request);
      const std::string query = step.target.find('?') == std::string::npos
                                    ? ""
                                    : step.target.substr(step.target.find('?') + 1);
      EXPECT_EQ(response.status, 201) << step.method << " " << step.target;
      EXPECT_EQ(response.headers.at("x-seen-method"), step.method) << step.target;
      EXPECT_EQ(response.headers.at("x-seen-query"), query) << step.method;
      EXPECT_EQ(response.body, step.body) << step.method << " " << step.target;
      EXPECT_EQ(response.headers.at("x-seen-type"), step.content_type) << step.method;
      EXPECT_EQ(response.headers.at("x-seen-auth"), step.authorization) << step.method;
    }
  }
}

TEST_F(TransportTest, LargeBodiesArriveWholeAlsoFromManyThreadsAtOnce) {
  // Bodies that span many reads, from concurrent callers: each gets exactly its own.
  std::vector<std::future<bool>> answers;
  for (int t = 0; t < 8; ++t) {
    answers.push_back(std::async(std::launch::async, [this, t] {
      HttpRequest request;
      request.method = "POST";
      request.target = "/echo";
      request.body = std::string(256 * 1024 + t, static_cast<char>('a' + t));
      request.timeout = 5s;
      for (int i = 0; i < 4; ++i) {
        if (transport->send(request).body != request.body) return false;
      }
      return true;
    }));
  }
  for (auto& answer : answers) EXPECT_TRUE(answer.get());
}

TEST_F(TransportTest, NonSuccessStatusIsReturnedNotThrown) {
  const HttpResponse response = transport->send(get("/missing"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"kind":"Status","code":404})");
}

TEST_F(TransportTest, ReadLineYieldsLinesAsTheyArrive) {
  auto stream = transport->open_stream(get("/stream"));
  EXPECT_EQ(stream->status(), 200);
  for (int i = 0; i < 3; ++i) {
    const auto line = stream->read_line();
    ASSERT_TRUE(line) << i;
    EXPECT_EQ(*line, "line " + std::to_string(i));
    if (i < 2) {
      // The server has not written the next line yet: this one arrived on its own.
      EXPECT_EQ(lines_written.load(), i + 1);
      line_read[i].set();
    }
  }
  EXPECT_FALSE(stream->read_line());
  EXPECT_FALSE(stream->read_line());  // stays ended
  server_thread.join();
  EXPECT_TRUE(read_before_next[0]);
  EXPECT_TRUE(read_before_next[1]);
}

TEST_F(TransportTest, LinesThatArriveTogetherOrSpanReadsComeWhole) {
  auto stream = transport->open_stream(get("/many-lines"));
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(stream->read_line(), Line("event " + std::to_string(i)));
  EXPECT_EQ(stream->read_line(), Line(std::string(300 * 1024, 'x')));
  EXPECT_EQ(stream->read_line(), Line("after"));
  EXPECT_EQ(stream->read_line(), Line());
}

TEST_F(TransportTest, EmptyLinesAreNotTheEnd) {
  auto stream = transport->open_stream(get("/blank-lines"));
  EXPECT_EQ(stream->read_line(), Line("a"));
  EXPECT_EQ(stream->read_line(), Line(""));
  EXPECT_EQ(stream->read_line(), Line("b"));
  EXPECT_EQ(stream->read_line(), Line());
}

TEST_F(TransportTest, CancelUnblocksAPendingReadLine) {
  auto stream = transport->open_stream(get("/hang-after-one"));
  ASSERT_EQ(stream->read_line(), Line("only"));

  auto pending = std::async(std::launch::async, [&] { return stream->read_line(); });
  EXPECT_EQ(pending.wait_for(200ms), std::future_status::timeout);  // really blocked
  const auto start = std::chrono::steady_clock::now();
  stream->cancel();
  ASSERT_EQ(pending.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(pending.get(), Line());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(stream->read_line(), Line());
}

TEST_F(TransportTest, DestroyingAnOpenStreamDoesNotHang) {
  auto stream = transport->open_stream(get("/hang-after-one"));
  ASSERT_EQ(stream->read_line(), Line("only"));
  const auto start = std::chrono::steady_clock::now();
  stream.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(TransportTest, StreamMayOutliveItsTransport) {
  auto stream = transport->open_stream(get("/blank-lines"));
  transport.reset();
  EXPECT_EQ(stream->read_line(), Line("a"));
  stream->cancel();
  EXPECT_EQ(stream->read_line(), Line());
}

TEST_F(TransportTest, SilentStreamHitsTheInactivityTimeout) {
  const auto impatient = make_http_transport(base_url, TlsSettings{}, 1s);
  auto stream = impatient->open_stream(get("/hang-after-one"));
  ASSERT_EQ(stream->read_line(), Line("only"));
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto line = stream->read_line();
    ADD_FAILURE() << "expected an ApiError, got " << (line ? *line : "end of stream");
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 800ms);
  EXPECT_LT(waited, 5s);
}

TEST_F(TransportTest, RequestTimeoutIsTimeoutError) {
  HttpRequest request = get("/slow");
  request.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)transport->send(request);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
    EXPECT_TRUE(e.retryable());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(Transport, NobodyListeningIsTransportError) {
  const auto transport = make_http_transport(
      "http://127.0.0.1:" + std::to_string(secprov::testing::free_loopback_port()), {}, 5s);
  HttpRequest request;
  request.method = "GET";
  request.target = "/api";
  request.timeout = 5s;
  try {
    (void)transport->send(request);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Transport) << e.what();
    EXPECT_EQ(e.http_status(), 0);
  }
  try {
    (void)transport->open_stream(request);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Transport) << e.what();
  }
}

TEST(Transport, RejectedTlsMaterialNamesTheField) {
  TlsSettings tls;
  tls.ca_pem = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  try {
    (void)make_http_transport("https://127.0.0.1:6443", tls, 5s);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "tls.ca_pem");
  }
  TlsSettings key_only_garbage;
  key_only_garbage.client_cert_pem = "not pem";
  key_only_garbage.client_key_pem =
      "-----BEGIN "
      "PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
  try {
    (void)make_http_transport("https://127.0.0.1:6443", key_only_garbage, 5s);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "tls.client_cert_pem");
    EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos);
  }
}

// A scripted HTTP peer on a raw socket, for what a well-behaved server never sends: each
// accepted connection runs the next script, which reads requests and writes bytes as given.
class RawServer {
 public:
  using Script = std::function<void(int fd)>;

  explicit RawServer(std::vector<Script> scripts) : scripts_(std::move(scripts)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 8) != 0) {
      throw std::runtime_error("RawServer: cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      for (auto& script : scripts_) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        ++accepted_;
        script(fd);
        ::close(fd);
      }
    });
  }
  ~RawServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_.load(); }

  // Reads one request (headers and a Content-Length body); empty when the client closed.
  static std::string read_request(int fd) {
    std::string text;
    char c = 0;
    while (text.find("\r\n\r\n") == std::string::npos) {
      if (::recv(fd, &c, 1, 0) != 1) return {};
      text += c;
    }
    const auto at = text.find("Content-Length: ");
    std::size_t length = at == std::string::npos ? 0 : std::stoul(text.substr(at + 16));
    while (length-- > 0 && ::recv(fd, &c, 1, 0) == 1) text += c;
    return text;
  }
  // Sends byte by byte, so the client's reads end anywhere in the framing.
  static void send_slowly(int fd, const std::string& bytes) {
    for (const char c : bytes) ::send(fd, &c, 1, MSG_NOSIGNAL);
  }

 private:
  std::vector<Script> scripts_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

HttpRequest plain_get(const std::string& target) {
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  request.timeout = 5s;
  return request;
}

TEST(Http1Transport, ChunkedBodiesWithExtensionsAndTrailersArriveWholeOnOneConnection) {
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\nx-multi: b\r\n\r\n"
      "5;name=value\r\nhello\r\n6\r\n world\r\nB\r\n 0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  RawServer server({[&](int fd) {
    for (int i = 0; i < 3; ++i) {
      if (RawServer::read_request(fd).empty()) return;
      RawServer::send_slowly(fd, chunked);
    }
  }});
  const auto transport = make_http_transport(server.url(), {}, 5s);
  for (int i = 0; i < 3; ++i) {
    const HttpResponse response = transport->send(plain_get("/x"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello world 0123456789");
    EXPECT_EQ(response.headers.at("x-multi"), "a, b");
  }
  EXPECT_EQ(server.accepted(), 1);  // the trailers were consumed: the connection was kept
}

TEST(Http1Transport, ABodyWithoutLengthIsReadToTheCloseAndItsConnectionIsNotKept) {
  const auto answer = [](int fd) {
    if (RawServer::read_request(fd).empty()) return;
    RawServer::send_slowly(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end");
  };
  RawServer server({answer, answer});
  const auto transport = make_http_transport(server.url(), {}, 5s);
  EXPECT_EQ(transport->send(plain_get("/a")).body, "to the end");
  EXPECT_EQ(transport->send(plain_get("/b")).body, "to the end");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(Http1Transport, AKeptConnectionTheServerClosesIsReplacedWithoutAnError) {
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  RawServer server({
      [&](int fd) {
        // Answers one request, then reads the next and closes without a byte of answer: the
        // race of an idle timeout on the server's side.
        if (RawServer::read_request(fd).empty()) return;
        RawServer::send_slowly(fd, ok);
        (void)RawServer::read_request(fd);
      },
      [&](int fd) {
        if (RawServer::read_request(fd).empty()) return;
        RawServer::send_slowly(fd, ok);
      },
  });
  const auto transport = make_http_transport(server.url(), {}, 5s);
  EXPECT_EQ(transport->send(plain_get("/first")).body, "ok");
  EXPECT_EQ(transport->send(plain_get("/second")).body, "ok");  // a GET: sent again
  EXPECT_EQ(server.accepted(), 2);
}

TEST(Http1Transport, AWriteTheServerMayHaveReadIsNotSentTwice) {
  // The same close after reading, for a POST: the server may have acted on it, so the
  // caller gets the error (and decides) rather than a second create.
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::atomic<int> posts{0};
  RawServer server({
      [&](int fd) {
        if (RawServer::read_request(fd).empty()) return;
        RawServer::send_slowly(fd, ok);
        if (RawServer::read_request(fd).rfind("POST", 0) == 0) ++posts;
      },
      [&](int fd) {
        if (RawServer::read_request(fd).rfind("POST", 0) == 0) ++posts;
        RawServer::send_slowly(fd, ok);
      },
  });
  const auto transport = make_http_transport(server.url(), {}, 5s);
  EXPECT_EQ(transport->send(plain_get("/first")).body, "ok");
  HttpRequest post = plain_get("/create");
  post.method = "POST";
  post.body = "{}";
  try {
    (void)transport->send(post);
    FAIL() << "an answer from a server that closed after reading the POST";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Transport) << e.what();
  }
  EXPECT_EQ(posts.load(), 1);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(Http1Transport, ARequestThatWouldSplitIsNotSent) {
  // A control character in the target or a header would let one request carry another
  // (with the client's credentials): refused before any connection is made.
  RawServer server({[](int fd) { (void)RawServer::read_request(fd); }});
  const auto transport = make_http_transport(server.url(), {}, 5s);
  HttpRequest in_target = plain_get("/api/v1/namespaces/x HTTP/1.1\r\n\r\nDELETE /api");
  HttpRequest in_value = plain_get("/api");
  in_value.headers["x-note"] = "a\r\nauthorization: Bearer other";
  HttpRequest in_name = plain_get("/api");
  in_name.headers["x note"] = "a";
  HttpRequest in_method = plain_get("/api");
  in_method.method = "GET /x HTTP/1.1\r\n";
  for (const auto* request : {&in_target, &in_value, &in_name, &in_method}) {
    try {
      (void)transport->send(*request);
      ADD_FAILURE() << "sent: " << request->target;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << e.what();
      EXPECT_FALSE(e.retryable());
    }
  }
  EXPECT_EQ(server.accepted(), 0);
}

TEST(Http1Transport, ANewConnectionClosedBeforeAnAnswerIsAnErrorNotARetry) {
  const auto hang_up = [](int fd) { (void)RawServer::read_request(fd); };
  RawServer server({hang_up, hang_up, hang_up});
  const auto transport = make_http_transport(server.url(), {}, 5s);
  try {
    (void)transport->send(plain_get("/x"));
    FAIL() << "an answer from a server that closed";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Transport) << e.what();
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST(Http1Transport, MalformedOrAmbiguouslyFramedAnswersAreTransportErrors) {
  const std::vector<std::string> answers = {
      "SPDY/3 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nContent-Length: 2abc\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
  };
  for (const auto& answer : answers) {
    RawServer server({[&](int fd) {
      if (RawServer::read_request(fd).empty()) return;
      RawServer::send_slowly(fd, answer);
    }});
    const auto transport = make_http_transport(server.url(), {}, 5s);
    try {
      const auto response = transport->send(plain_get("/x"));
      ADD_FAILURE() << "accepted: " << answer << " as status " << response.status;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Transport) << answer << ": " << e.what();
    }
  }
}

TEST(Http1Transport, TheServerUrlsPathPrefixesEveryTargetAndItsAuthorityIsTheHost) {
  std::string seen;
  RawServer server({[&](int fd) {
    seen = RawServer::read_request(fd);
    RawServer::send_slowly(fd, "HTTP/1.1 204 No Content\r\n\r\n");
  }});
  const auto transport = make_http_transport(server.url("/k8s/clusters/c-1/"), {}, 5s);
  EXPECT_EQ(transport->send(plain_get("/api/v1/namespaces?limit=1")).status, 204);
  EXPECT_EQ(seen.substr(0, seen.find("\r\n")),
            "GET /k8s/clusters/c-1/api/v1/namespaces?limit=1 HTTP/1.1");
  const std::string authority = server.url().substr(7);
  EXPECT_NE(seen.find("\r\nHost: " + authority + "\r\n"), std::string::npos) << seen;
}

TEST(Http1Transport, UnusableServerUrlsNameTheField) {
  for (const std::string url : {"ftp://h", "https://", "https://user@h:1", "https://h:port",
                                "https://[::1", "https://h/p?q"}) {
    try {
      (void)make_http_transport(url, {}, 5s);
      ADD_FAILURE() << url;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.field(), "server") << url;
    }
  }
}

}  // namespace
}  // namespace secprov::kube
