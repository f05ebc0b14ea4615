#include "render/envoy.h"

#include <algorithm>
#include <set>
#include <vector>

#include "api/constants.h"
#include "render/enabler.h"
#include "render/errors.h"
#include "render/names.h"
#include "yaml/yaml.h"

namespace secprov::render {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kTlsSocket = "envoy.transport_sockets.tls";
constexpr std::string_view kTypePrefix = "type.googleapis.com/envoy.extensions.";

std::string type_url(std::string_view name) {
  return std::string(kTypePrefix) + std::string(name);
}

std::string_view envoy_version(api::TlsVersion v) {
  return v == api::TlsVersion::V1_3 ? "TLSv1_3" : "TLSv1_2";
}

Json file(std::string_view path) {
  return {{"filename", std::string(path)}};
}

Json socket_address(const std::string& address, int port) {
  return {{"socket_address", {{"address", address}, {"port_value", port}}}};
}

// tls_params: exactly the profile's versions, TLS 1.2 suites (OpenSSL names, as HAProxy gets
// them) and groups; an empty list is left out, so that Envoy's default applies as in HAProxy.
Json tls_params(const api::TlsSpec& tls) {
  Json params = {{"tls_minimum_protocol_version", std::string(envoy_version(tls.min_version))},
                 {"tls_maximum_protocol_version", std::string(envoy_version(tls.max_version))}};
  Json ciphers = Json::array();
  for (const auto s : tls.tls12_cipher_suites) ciphers.push_back(std::string(api::openssl_name(s)));
  if (!ciphers.empty()) params["cipher_suites"] = std::move(ciphers);
  Json curves = Json::array();
  for (const auto g : tls.groups) curves.push_back(std::string(api::openssl_name(g)));
  if (!curves.empty()) params["ecdh_curves"] = std::move(curves);
  return params;
}

// The certificate, trust bundle, CRL, ALPN h2 and the names a peer certificate must carry.
Json common_tls_context(const api::TlsSpec& tls, std::string_view san_type,
                        const std::vector<std::string>& sans) {
  Json validation = {{"trusted_ca", file(kEnablerCaFile)}, {"crl", file(kEnablerCrlFile)}};
  if (!sans.empty()) {
    Json matchers = Json::array();
    for (const auto& san : sans) {
      matchers.push_back({{"san_type", std::string(san_type)}, {"matcher", {{"exact", san}}}});
    }
    validation["match_typed_subject_alt_names"] = std::move(matchers);
  }
  return {{"tls_params", tls_params(tls)},
          {"alpn_protocols", Json::array({"h2"})},
          {"tls_certificates", Json::array({{{"certificate_chain", file(kEnablerCertificateFile)},
                                             {"private_key", file(kEnablerPrivateKeyFile)}}})},
          {"validation_context", std::move(validation)}};
}

// An HTTP connection manager that sends every request to `cluster`.
Json http_connection_manager(const std::string& name, const std::string& cluster) {
  return {{"name", "envoy.filters.network.http_connection_manager"},
          {"typed_config",
           {{"@type", type_url("filters.network.http_connection_manager.v3.HttpConnectionManager")},
            {"stat_prefix", name},
            {"codec_type", "HTTP2"},
            {"route_config",
             {{"name", name},
              {"virtual_hosts",
               Json::array({{{"name", name},
                             {"domains", Json::array({"*"})},
                             {"routes", Json::array({{{"match", {{"prefix", "/"}}},
                                                      {"route", {{"cluster", cluster}}}}})}}})}}},
            {"http_filters",
             Json::array(
                 {{{"name", "envoy.filters.http.router"},
                   {"typed_config", {{"@type", type_url("filters.http.router.v3.Router")}}}}})}}}};
}

Json listener(const std::string& name, Json address, const std::string& cluster) {
  return {{"name", name},
          {"address", std::move(address)},
          {"filter_chains",
           Json::array({{{"filters", Json::array({http_connection_manager(name, cluster)})}}})}};
}

// A cluster of one endpoint spoken to in HTTP/2 (h2c unless a transport socket adds TLS).
Json cluster(const std::string& name, std::string_view discovery, const std::string& host,
             int port) {
  return {{"name", name},
          {"type", std::string(discovery)},
          {"connect_timeout", "5s"},
          {"load_assignment",
           {{"cluster_name", name},
            {"endpoints",
             Json::array(
                 {{{"lb_endpoints",
                    Json::array({{{"endpoint", {{"address", socket_address(host, port)}}}}})}}})}}},
          {"typed_extension_protocol_options",
           {{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
             {{"@type", type_url("upstreams.http.v3.HttpProtocolOptions")},
              {"explicit_http_config", {{"http2_protocol_options", Json::object()}}}}}}}};
}

}  // namespace

std::string envoy_yaml(const api::SecurityProfile& profile) {
  if (!api::enabler_sidecar(profile)) return {};
  const auto& e = *profile.spec.enabler;
  const auto& tls = profile.spec.sbi.tls;
  if (tls.mode == api::TlsMode::Disabled) {
    throw RenderError("spec.enabler.mode", "Sidecar needs sbi.tls.mode TLS or MutualTLS");
  }
  Json listeners = Json::array();
  Json clusters = Json::array();

  if (e.inbound) {
    const auto& inbound = *e.inbound;
    std::set<std::string> uris;  // sorted: the order of the list carries no meaning
    for (const auto& id : inbound.allowed_clients) uris.insert(nf_instance_uri(id));
    Json l = listener("secprov-inbound", socket_address("0.0.0.0", inbound.tls_port), "secprov-nf");
    l["filter_chains"][0]["transport_socket"] = {
        {"name", std::string(kTlsSocket)},
        {"typed_config",
         {{"@type", type_url("transport_sockets.tls.v3.DownstreamTlsContext")},
          {"require_client_certificate", true},
          {"common_tls_context",
           common_tls_context(tls, "URI", std::vector<std::string>(uris.begin(), uris.end()))}}}};
    listeners.push_back(std::move(l));
    clusters.push_back(cluster("secprov-nf", "STATIC", "127.0.0.1", inbound.port));
  }

  std::vector<const api::EnablerOutbound*> outbound;
  for (const auto& o : e.outbound) outbound.push_back(&o);
  std::ranges::sort(outbound, {}, &api::EnablerOutbound::name);  // a list-map: order is no input
  for (const auto* o : outbound) {
    const std::string name = "secprov-out-" + o->name;
    const std::string server_name = api::effective_server_name(*o);
    listeners.push_back(listener(name, socket_address("127.0.0.1", o->local_port), name));
    // Resolved at run time, like HAProxy's resolvers: an unresolvable peer does not keep
    // Envoy from starting.
    Json c = cluster(name, "STRICT_DNS", o->host, o->port);
    c["transport_socket"] = {
        {"name", std::string(kTlsSocket)},
        {"typed_config",
         {{"@type", type_url("transport_sockets.tls.v3.UpstreamTlsContext")},
          {"sni", server_name},
          {"common_tls_context", common_tls_context(tls, "DNS", {server_name})}}}};
    clusters.push_back(std::move(c));
  }

  const Json doc = {{"static_resources",
                     {{"listeners", std::move(listeners)}, {"clusters", std::move(clusters)}}}};
  return yaml::to_yaml(
      doc, {"Envoy v3 bootstrap rendered by secprov from SecurityProfile " +
            profile.metadata.namespace_ + "/" + profile.metadata.name +
            ": a second template of the enabler for users of Envoy (not deployed by secprov)."});
}

}  // namespace secprov::render
