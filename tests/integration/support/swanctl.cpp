#include "support/swanctl.h"

#include <cstddef>

namespace secprov::testing {
namespace {

// The value of " <key> = " on the first line in [from, end).
std::string value_in(const std::string& text, std::size_t from, std::size_t end,
                     const std::string& key) {
  const auto at = text.find(" " + key + " = ", from);
  if (from == std::string::npos || at == std::string::npos || at >= end) return {};
  const auto start = at + key.size() + 4;
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace

SwanctlConnection swanctl_connection(const std::string& conf, const std::string& name) {
  SwanctlConnection c;
  const auto at = conf.find("\n  " + name + " {\n");
  if (at == std::string::npos) return c;
  const auto end = conf.find("\n  }\n", at);
  const auto local = conf.find("    local {\n", at);
  const auto remote = conf.find("    remote {\n", at);
  const auto child = conf.find("    children {\n", at);
  c.local_addrs = value_in(conf, at, local, "local_addrs");
  c.remote_addrs = value_in(conf, at, local, "remote_addrs");
  c.proposals = value_in(conf, at, local, "proposals");
  c.local_auth = value_in(conf, local, remote, "auth");
  c.local_id = value_in(conf, local, remote, "id");
  c.remote_auth = value_in(conf, remote, child, "auth");
  c.remote_id = value_in(conf, remote, child, "id");
  c.mode = value_in(conf, child, end, "mode");
  c.esp_proposals = value_in(conf, child, end, "esp_proposals");
  c.local_ts = value_in(conf, child, end, "local_ts");
  c.remote_ts = value_in(conf, child, end, "remote_ts");
  const auto secret = conf.find("\n  ike-" + name + " {\n");
  if (secret != std::string::npos) {
    const auto secret_end = conf.find("\n  }\n", secret);
    c.psk_id = value_in(conf, secret, secret_end, "id");
    c.psk_secret = value_in(conf, secret, secret_end, "secret");
  }
  return c;
}

}  // namespace secprov::testing
