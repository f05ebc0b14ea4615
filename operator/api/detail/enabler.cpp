#include "api/detail/enabler.h"

#include <algorithm>
#include <set>

#include "api/detail/json_reader.h"
#include "api/detail/syntax.h"

namespace secprov::api::detail {
namespace {

using nlohmann::json;

bool in(char ch, std::string_view set) {
  return set.find(ch) != std::string_view::npos;
}
bool lower_or_digit(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}
bool alnum(char ch) {
  return lower_or_digit(ch) || (ch >= 'A' && ch <= 'Z');
}

// ^[0-9]{1,9}(\.[0-9]{1,3})?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$
bool is_quantity(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i < 1 || i > 9) return false;
  if (i < s.size() && s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i - start < 1 || i - start > 3) return false;
  }
  const std::string_view suffix = s.substr(i);
  constexpr std::string_view kSuffixes[] = {"", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"};
  return std::ranges::find(kSuffixes, suffix) != std::end(kSuffixes);
}

// ^[a-z0-9][a-zA-Z0-9._/:@-]*$
bool is_image_reference(std::string_view s) {
  return !s.empty() && lower_or_digit(s[0]) &&
         std::ranges::all_of(s, [](char ch) { return alnum(ch) || in(ch, "._/:@-"); });
}
// ^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$
bool is_image_repository(std::string_view s) {
  return !s.empty() && lower_or_digit(s.front()) && lower_or_digit(s.back()) &&
         std::ranges::all_of(s, [](char ch) { return lower_or_digit(ch) || in(ch, "._/:-"); });
}
// ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$
bool is_image_tag(std::string_view s) {
  return !s.empty() && s.size() <= 128 && (alnum(s[0]) || s[0] == '_') &&
         std::ranges::all_of(s, [](char ch) { return alnum(ch) || in(ch, "_.-"); });
}

// OpenAPI minimum 1 / maximum 65535, with the apiserver's wording.
void port(Checks& c, const std::string& path, int value) {
  c.rule(path, value >= 1,
         "Invalid value: " + std::to_string(value) + ": " + path +
             " in body should be greater than or equal to 1");
  c.rule(path, value <= 65535,
         "Invalid value: " + std::to_string(value) + ": " + path +
             " in body should be less than or equal to 65535");
}

int read_port(ObjectReader& r, std::string_view key) {
  auto v = r.integer(key, Required::Yes);
  if (!v) return 0;
  // Out-of-range values stay visible to validate() without overflowing int.
  return static_cast<int>(std::clamp<std::int64_t>(*v, -1, 65536));
}

std::optional<ResourceQuantities> parse_quantities(ObjectReader& parent, std::string_view key,
                                                   FieldErrors& errs) {
  const json* j = parent.object(key);
  if (!j) return std::nullopt;
  ObjectReader r(*j, parent.child(key), errs);
  ResourceQuantities q;
  q.cpu = r.string("cpu");
  q.memory = r.string("memory");
  r.finish();
  return q;
}

void validate_quantities(Checks& c, const std::string& path,
                         const std::optional<ResourceQuantities>& q) {
  if (!q) return;
  for (const auto& [key, value] : {std::pair{"cpu", &q->cpu}, std::pair{"memory", &q->memory}}) {
    if (!*value) continue;
    const std::string p = join_path(path, key);
    if (c.max_length(p, **value, kMaxQuantityLength)) {
      c.pattern(p, **value, is_quantity(**value), kQuantityPattern);
    }
  }
}

json quantities_json(const ResourceQuantities& q) {
  json j = json::object();
  if (q.cpu) j["cpu"] = *q.cpu;
  if (q.memory) j["memory"] = *q.memory;
  return j;
}

}  // namespace

EnablerSpec parse_enabler(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  EnablerSpec e;
  if (auto v = r.enumeration<EnablerMode>("mode")) e.mode = *v;
  if (const json* in = r.object("inbound")) {
    ObjectReader ir(*in, r.child("inbound"), errs);
    EnablerInbound inbound;
    inbound.port = read_port(ir, "port");
    inbound.tls_port = read_port(ir, "tlsPort");
    if (const json* a = ir.array("allowedClients")) {
      inbound.allowed_clients = read_string_array(*a, ir.child("allowedClients"), errs);
    }
    ir.finish();
    e.inbound = std::move(inbound);
  }
  if (const json* a = r.array("outbound")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      ObjectReader orr((*a)[k], index_path(r.child("outbound"), k), errs);
      EnablerOutbound o;
      if (auto v = orr.string("name", Required::Yes)) o.name = *v;
      o.local_port = read_port(orr, "localPort");
      if (auto v = orr.string("host", Required::Yes)) o.host = *v;
      o.port = read_port(orr, "port");
      o.server_name = orr.string("serverName");
      orr.finish();
      if (orr.valid()) e.outbound.push_back(std::move(o));
    }
  }
  if (const json* res = r.object("resources")) {
    ObjectReader rr(*res, r.child("resources"), errs);
    EnablerResources resources;
    resources.requests = parse_quantities(rr, "requests", errs);
    resources.limits = parse_quantities(rr, "limits", errs);
    rr.finish();
    e.resources = std::move(resources);
  }
  if (const json* img = r.object("image")) {
    ObjectReader ir(*img, r.child("image"), errs);
    EnablerImage image;
    image.reference = ir.string("reference");
    image.repository = ir.string("repository");
    image.tag = ir.string("tag");
    if (auto v = ir.enumeration<ImagePullPolicy>("pullPolicy")) image.pull_policy = *v;
    ir.finish();
    e.image = std::move(image);
  }
  if (auto v = r.enumeration<EnablerRollout>("rollout")) e.rollout = *v;
  r.finish();
  return e;
}

void validate_enabler(Checks& c, const SecurityProfileSpec& spec) {
  if (!spec.enabler) return;
  const auto& e = *spec.enabler;
  const std::string path = "spec.enabler";
  c.rule(join_path(path, "mode"),
         e.mode != EnablerMode::Sidecar || spec.sbi.tls.mode != TlsMode::Disabled,
         std::string(kEnablerNeedsTlsMessage));
  c.rule(path, e.mode != EnablerMode::Sidecar || e.inbound || !e.outbound.empty(),
         std::string(kEnablerSidecarNeedsTrafficMessage));
  std::set<int> inbound_ports;
  if (e.inbound) {
    const std::string ip = join_path(path, "inbound");
    port(c, join_path(ip, "port"), e.inbound->port);
    port(c, join_path(ip, "tlsPort"), e.inbound->tls_port);
    c.rule(join_path(ip, "tlsPort"), e.inbound->port != e.inbound->tls_port,
           std::string(kEnablerTlsPortMessage));
    inbound_ports = {e.inbound->port, e.inbound->tls_port};
    const std::string ap = join_path(ip, "allowedClients");
    c.max_items(ap, e.inbound->allowed_clients.size(), kMaxEnablerAllowedClients);
    c.unique(ap, e.inbound->allowed_clients, [](const std::string& s) { return s; });
    for (std::size_t i = 0; i < e.inbound->allowed_clients.size(); ++i) {
      const std::string p = index_path(ap, i);
      const auto& id = e.inbound->allowed_clients[i];
      if (c.max_length(p, id, 36)) c.pattern(p, id, is_uuid(id), kUuidPattern);
    }
  }
  const std::string op = join_path(path, "outbound");
  c.max_items(op, e.outbound.size(), kMaxEnablerOutbound);
  c.unique(op, e.outbound, [](const EnablerOutbound& o) { return o.name; });
  std::set<int> local_ports;
  bool ports_apart = true;
  for (std::size_t i = 0; i < e.outbound.size(); ++i) {
    const std::string p = index_path(op, i);
    const auto& o = e.outbound[i];
    const std::string np = join_path(p, "name");
    c.min_length(np, o.name, 1);
    if (c.max_length(np, o.name, 63) && !o.name.empty()) {
      c.pattern(np, o.name, is_dns_label(o.name), kDnsLabelPattern);
    }
    port(c, join_path(p, "localPort"), o.local_port);
    port(c, join_path(p, "port"), o.port);
    ports_apart = ports_apart && !inbound_ports.contains(o.local_port) &&
                  local_ports.insert(o.local_port).second;
    const auto dns_name = [&](const std::string& hp, const std::string& value) {
      c.min_length(hp, value, 1);
      if (c.max_length(hp, value, 253) && !value.empty()) {
        c.pattern(hp, value, is_dns_subdomain(value), kDnsSubdomainPattern);
      }
    };
    dns_name(join_path(p, "host"), o.host);
    if (o.server_name) dns_name(join_path(p, "serverName"), *o.server_name);
  }
  c.rule(op, ports_apart, std::string(kEnablerOutboundPortMessage));
  if (e.resources) {
    const std::string rp = join_path(path, "resources");
    validate_quantities(c, join_path(rp, "requests"), e.resources->requests);
    validate_quantities(c, join_path(rp, "limits"), e.resources->limits);
  }
  if (e.image) {
    const std::string ip = join_path(path, "image");
    const auto& img = *e.image;
    c.rule(ip, !img.reference || (!img.repository && !img.tag), std::string(kEnablerImageMessage));
    if (img.reference) {
      const std::string p = join_path(ip, "reference");
      if (c.max_length(p, *img.reference, kMaxImageReferenceLength)) {
        c.pattern(p, *img.reference, is_image_reference(*img.reference), kImageReferencePattern);
      }
    }
    if (img.repository) {
      const std::string p = join_path(ip, "repository");
      if (c.max_length(p, *img.repository, kMaxImageRepositoryLength)) {
        c.pattern(p, *img.repository, is_image_repository(*img.repository),
                  kImageRepositoryPattern);
      }
    }
    if (img.tag) {
      const std::string p = join_path(ip, "tag");
      if (c.max_length(p, *img.tag, 128)) {
        c.pattern(p, *img.tag, is_image_tag(*img.tag), kImageTagPattern);
      }
    }
  }
}

json enabler_json(const EnablerSpec& e) {
  json j{{"mode", std::string(to_string(e.mode))}, {"rollout", std::string(to_string(e.rollout))}};
  if (e.inbound) {
    json in{{"port", e.inbound->port}, {"tlsPort", e.inbound->tls_port}};
    if (!e.inbound->allowed_clients.empty()) in["allowedClients"] = e.inbound->allowed_clients;
    j["inbound"] = std::move(in);
  }
  if (!e.outbound.empty()) {
    json out = json::array();
    for (const auto& o : e.outbound) {
      json oj{{"name", o.name}, {"localPort", o.local_port}, {"host", o.host}, {"port", o.port}};
      if (o.server_name) oj["serverName"] = *o.server_name;
      out.push_back(std::move(oj));
    }
    j["outbound"] = std::move(out);
  }
  if (e.resources) {
    json rj = json::object();
    if (e.resources->requests) rj["requests"] = quantities_json(*e.resources->requests);
    if (e.resources->limits) rj["limits"] = quantities_json(*e.resources->limits);
    j["resources"] = std::move(rj);
  }
  if (e.image) {
    json ij{{"pullPolicy", std::string(to_string(e.image->pull_policy))}};
    if (e.image->reference) ij["reference"] = *e.image->reference;
    if (e.image->repository) ij["repository"] = *e.image->repository;
    if (e.image->tag) ij["tag"] = *e.image->tag;
    j["image"] = std::move(ij);
  }
  return j;
}

}  // namespace secprov::api::detail

namespace secprov::api {

std::string effective_server_name(const EnablerOutbound& outbound) {
  return outbound.server_name.value_or(outbound.host);
}

bool enabler_sidecar(const SecurityProfile& profile) {
  return profile.spec.enabler && profile.spec.enabler->mode == EnablerMode::Sidecar;
}

}  // namespace secprov::api
