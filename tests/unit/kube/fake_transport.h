#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kube/errors.h"
#include "kube/http.h"

namespace secprov::kube::testing {

// A scripted stream answer: status, headers and the lines of the body.
struct StreamScript {
  int status = 200;
  HttpHeaders headers;
  std::vector<std::string> lines;
};

// What the fake "server" answers and what it received. Shared between the test and the
// FakeTransport the Client owns.
struct FakeServer {
  std::mutex mutex;
  std::vector<HttpRequest> requests;
  std::deque<HttpResponse> responses;
  std::deque<StreamScript> streams;

  void respond(int status, std::string body, HttpHeaders headers = {}) {
    const std::lock_guard lock(mutex);
    responses.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void stream(StreamScript script) {
    const std::lock_guard lock(mutex);
    streams.push_back(std::move(script));
  }
  HttpRequest request(std::size_t index) {
    const std::lock_guard lock(mutex);
    return requests.at(index);
  }
  std::size_t request_count() {
    const std::lock_guard lock(mutex);
    return requests.size();
  }
};

class FakeLineStream final : public HttpLineStream {
 public:
  explicit FakeLineStream(StreamScript script) : script_(std::move(script)) {}
  int status() const override { return script_.status; }
  const HttpHeaders& headers() const override { return script_.headers; }
  std::optional<std::string> read_line() override {
    if (cancelled_ || next_ >= script_.lines.size()) return std::nullopt;
    return script_.lines[next_++];
  }
  void cancel() override { cancelled_ = true; }

 private:
  StreamScript script_;
  std::size_t next_ = 0;
  bool cancelled_ = false;
};

class FakeTransport final : public HttpTransport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeServer> server) : server_(std::move(server)) {}

  HttpResponse send(const HttpRequest& request) override {
    const std::lock_guard lock(server_->mutex);
    server_->requests.push_back(request);
    if (server_->responses.empty()) {
      throw ApiError(ErrorKind::Transport, 0, "fake: no scripted response");
    }
    HttpResponse response = std::move(server_->responses.front());
    server_->responses.pop_front();
    return response;
  }

  std::unique_ptr<HttpLineStream> open_stream(const HttpRequest& request) override {
    const std::lock_guard lock(server_->mutex);
    server_->requests.push_back(request);
    if (server_->streams.empty()) {
      throw ApiError(ErrorKind::Transport, 0, "fake: no scripted stream");
    }
    auto stream = std::make_unique<FakeLineStream>(std::move(server_->streams.front()));
    server_->streams.pop_front();
    return stream;
  }

 private:
  std::shared_ptr<FakeServer> server_;
};

}  // namespace secprov::kube::testing
