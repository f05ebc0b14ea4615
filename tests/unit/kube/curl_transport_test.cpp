// The libcurl transport against a local plain-HTTP cpprestsdk http_listener: streaming, cancel,
// timeouts and connection errors. TLS is covered by the integration tests.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
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
    transport = make_curl_transport(base_url, TlsSettings{}, 5s);
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
        writer->close();
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

TEST_F(TransportTest, AHandleServingRequestsInTurnCarriesNothingFromOneToTheNext) {
  // Sent one after another from one thread, these reuse one handle (and its connection):
  // each request's method, body, headers and query are its own.
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
  const auto impatient = make_curl_transport(base_url, TlsSettings{}, 1s);
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
  const auto transport = make_curl_transport(
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
    (void)make_curl_transport("https://127.0.0.1:6443", tls, 5s);
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
    (void)make_curl_transport("https://127.0.0.1:6443", key_only_garbage, 5s);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "tls.client_cert_pem");
    EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos);
  }
}

}  // namespace
}  // namespace secprov::kube
