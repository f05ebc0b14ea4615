#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "support/free_port.h"

namespace secprov::http {
namespace {

// Sends one raw HTTP/1.0 request and returns the whole answer.
std::string raw_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return {};
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  ::send(fd, request.data(), request.size(), 0);
  std::string answer;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
    answer.append(buffer, static_cast<std::size_t>(got));
  ::close(fd);
  return answer;
}

TEST(Server, RoutesKnownPathsAndAnswers404Otherwise) {
  const auto port = secprov::testing::free_loopback_port();
  Routes routes;
  routes["/hello"] = [](const Request& request) {
    return Response{200, "text/plain", "hello " + request.method};
  };
  routes["/boom"] = [](const Request&) -> Response { throw std::runtime_error("secret detail"); };
  auto server = start_server({.address = "127.0.0.1", .port = port, .tls = std::nullopt}, routes);

  const auto hello = raw_get(port, "/hello");
  EXPECT_NE(hello.find("200"), std::string::npos);
  EXPECT_NE(hello.find("hello GET"), std::string::npos);

  EXPECT_NE(raw_get(port, "/nowhere").find("404"), std::string::npos);

  const auto boom = raw_get(port, "/boom");
  EXPECT_NE(boom.find("500"), std::string::npos);
  EXPECT_EQ(boom.find("secret detail"), std::string::npos) << "exception text leaked to client";

  server->stop();
  server->stop();  // idempotent
  EXPECT_TRUE(raw_get(port, "/hello").empty());
}

}  // namespace
}  // namespace secprov::http
