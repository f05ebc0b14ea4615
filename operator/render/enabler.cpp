#include "render/enabler.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <stdexcept>

#include "api/constants.h"
#include "crypto/encoding.h"
#include "render/errors.h"
#include "render/names.h"
#include "render/trust_domain.h"

namespace secprov::render {
namespace {

std::string str(std::string_view s) {
  return std::string(s);
}

std::string_view haproxy_version(api::TlsVersion v) {
  return v == api::TlsVersion::V1_3 ? "TLSv1.3" : "TLSv1.2";
}

// The DER of a certificate's URI SAN "urn:uuid:<id>" (GeneralName [6] IMPLICIT IA5String:
// tag 0x86, length 45, the text) in upper-case hex, as HAProxy's ssl_c_der,hex yields it.
// The operator's CA issues every certificate the frontend accepts and puts no other
// user-supplied bytes in them, so a match of this byte string is that SAN.
std::string uri_san_der_hex(std::string_view nf_instance_id) {
  const std::string uri = nf_instance_uri(nf_instance_id);
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "86";
  const auto byte = [&](unsigned char b) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  };
  byte(static_cast<unsigned char>(uri.size()));
  for (char ch : uri) byte(static_cast<unsigned char>(ch));
  return out;
}

void line(std::string& out, std::string_view indent, const std::string& text) {
  out += indent;
  out += text;
  out += '\n';
}

}  // namespace

const api::EnablerInbound* enabler_fronted_server(const api::SecurityProfile& profile) {
  if (!api::enabler_sidecar(profile) || !profile.spec.enabler->inbound) return nullptr;
  return &*profile.spec.enabler->inbound;
}

const api::EnablerOutbound* enabler_route_to(const api::SecurityProfile& profile,
                                             std::string_view authority) {
  if (!api::enabler_sidecar(profile) || authority.empty() || authority.front() == '[') {
    return nullptr;  // an [IPv6] literal is never an outbound host (a DNS name)
  }
  const auto colon = authority.find(':');
  const std::string_view host = authority.substr(0, colon);
  std::optional<int> port;
  if (colon != std::string_view::npos) {
    int value = 0;
    const auto digits = authority.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return nullptr;
    port = value;
  }
  const auto same_host = [host](std::string_view other) {
    return std::ranges::equal(host, other, [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
  };
  for (const auto& outbound : profile.spec.enabler->outbound) {
    if (same_host(outbound.host) && (!port || *port == outbound.port)) return &outbound;
  }
  return nullptr;
}

std::string haproxy_cfg(const api::SecurityProfile& profile) {
  if (!api::enabler_sidecar(profile)) return {};
  const auto& e = *profile.spec.enabler;
  const auto& tls = profile.spec.sbi.tls;
  if (tls.mode == api::TlsMode::Disabled) {
    throw RenderError("spec.enabler.mode", "Sidecar needs sbi.tls.mode TLS or MutualTLS");
  }
  const std::string versions = "ssl-min-ver " + str(haproxy_version(tls.min_version)) +
                               " ssl-max-ver " + str(haproxy_version(tls.max_version));
  const std::string ciphers = api::openssl_list(tls.tls12_cipher_suites);
  const std::string suites = api::openssl_list(tls.tls13_cipher_suites);
  const std::string groups = api::openssl_list(tls.groups);
  const std::string ca = " ca-file " + str(kEnablerCaFile) + " crl-file " + str(kEnablerCrlFile);
  constexpr std::string_view in = "    ";

  std::string out;
  out += "# Rendered by secprov from SecurityProfile " + profile.metadata.namespace_ + "/" +
         profile.metadata.name + ". Do not edit: the operator rewrites it.\n";
  out += "# HAProxy 2.6, run in master-worker mode (haproxy -W) by " + str(kEnablerAgentBinary) +
         ".\n";
  out += "global\n";
  line(out, in, "log stdout format raw local0 notice");
  // The private key is tls.key mounted as <crt>.key; nothing else is looked up.
  line(out, in, "ssl-load-extra-files key");
  line(out, in, "ssl-default-bind-options " + versions);
  if (!ciphers.empty()) line(out, in, "ssl-default-bind-ciphers " + ciphers);
  if (!suites.empty()) line(out, in, "ssl-default-bind-ciphersuites " + suites);
  if (!groups.empty()) line(out, in, "ssl-default-bind-curves " + groups);
  // Where the outbound groups are set, for whoever reads this file.
  line(out, in,
       "# outbound groups " + (groups.empty() ? std::string("(OpenSSL's)") : groups) +
           " and versions: " + str(kEnablerOpensslCnfFile) + " (" + str(kOpensslConfEnv) +
           "); HAProxy 2.6 has no server-side curves");
  line(out, in, "ssl-default-server-options " + versions);
  if (!ciphers.empty()) line(out, in, "ssl-default-server-ciphers " + ciphers);
  if (!suites.empty()) line(out, in, "ssl-default-server-ciphersuites " + suites);
  out += "\n";
  out += "defaults\n";
  line(out, in, "mode http");
  line(out, in, "log global");
  line(out, in, "timeout connect 5s");
  line(out, in, "timeout client 1m");
  line(out, in, "timeout server 1m");
  line(out, in, "timeout http-request 10s");
  line(out, in, "timeout http-keep-alive 1m");

  if (!e.outbound.empty()) {
    // Peers named by DNS: resolved at run time from the Pod's resolv.conf, so a peer that
    // is not resolvable yet does not keep HAProxy from starting.
    out += "\nresolvers secprov-dns\n";
    line(out, in, "parse-resolv-conf");
  }

  if (e.inbound) {
    const auto& inbound = *e.inbound;
    out += "\nfrontend secprov-inbound\n";
    line(out, in,
         "bind :" + std::to_string(inbound.tls_port) + " ssl crt " + str(kEnablerCertificateFile) +
             ca + " verify required alpn h2");
    if (!inbound.allowed_clients.empty()) {
      std::set<std::string> ders;  // sorted: the order of the list carries no meaning
      for (const auto& id : inbound.allowed_clients) ders.insert(uri_san_der_hex(id));
      std::string acl = "acl secprov_allowed_client ssl_c_der,hex -m sub";
      for (const auto& der : ders) acl += " " + der;
      line(out, in, "# clients: the certificates whose SAN URI is urn:uuid:<allowedClients>");
      line(out, in, acl);
      line(out, in, "http-request deny deny_status 403 unless secprov_allowed_client");
    }
    line(out, in, "default_backend secprov-nf");
    out += "\nbackend secprov-nf\n";
    line(out, in,
         "server nf " + str(kEnablerLoopback) + ":" + std::to_string(inbound.port) + " proto h2");
  }

  std::vector<const api::EnablerOutbound*> outbound;
  for (const auto& o : e.outbound) outbound.push_back(&o);
  std::ranges::sort(outbound, {}, &api::EnablerOutbound::name);  // a list-map: order is no input
  for (const auto* o : outbound) {
    const std::string name = "secprov-out-" + o->name;
    const std::string server_name = api::effective_server_name(*o);
    out += "\nfrontend " + name + "\n";
    line(out, in,
         "bind " + str(kEnablerLoopback) + ":" + std::to_string(o->local_port) + " proto h2");
    line(out, in, "default_backend " + name);
    out += "\nbackend " + name + "\n";
    line(out, in,
         "server " + o->name + " " + o->host + ":" + std::to_string(o->port) +
             " resolvers secprov-dns init-addr last,libc,none ssl verify required" + ca + " crt " +
             str(kEnablerCertificateFile) + " sni str(" + server_name + ") verifyhost " +
             server_name + " alpn h2");
  }
  return out;
}

std::string enabler_openssl_cnf(const api::SecurityProfile& profile) {
  if (!api::enabler_sidecar(profile)) return {};
  const auto& tls = profile.spec.sbi.tls;
  const std::string groups = api::openssl_list(tls.groups);
  std::string out;
  out += "# Rendered by secprov from SecurityProfile " + profile.metadata.namespace_ + "/" +
         profile.metadata.name + ". Do not edit: the operator rewrites it.\n";
  out += "# The enabler's " + str(kOpensslConfEnv) +
         ": OpenSSL applies system_default to every SSL_CTX HAProxy creates, which sets the\n"
         "# groups its outbound TLS offers (HAProxy 2.6 cannot); its inbound side sets curves "
         "itself.\n";
  out += "openssl_conf = secprov_init\n\n";
  out += "[secprov_init]\nssl_conf = secprov_ssl\n\n";
  out += "[secprov_ssl]\nsystem_default = secprov_system_default\n\n";
  out += "[secprov_system_default]\n";
  out += "MinProtocol = " + str(haproxy_version(tls.min_version)) + "\n";
  out += "MaxProtocol = " + str(haproxy_version(tls.max_version)) + "\n";
  if (!groups.empty()) out += "Groups = " + groups + "\n";
  return out;
}

std::string enabler_config_digest(const api::SecurityProfile& profile) {
  // Each file ends in a newline, so the concatenation cannot make two pairs alike.
  return "sha256:" + crypto::sha256_hex(haproxy_cfg(profile) + enabler_openssl_cnf(profile));
}

std::string enabler_image(const api::SecurityProfile& profile, std::string_view default_image) {
  const auto& image = profile.spec.enabler ? profile.spec.enabler->image : std::nullopt;
  if (!image) return str(default_image);
  if (image->reference) return *image->reference;
  if (!image->repository && !image->tag) return str(default_image);
  // The default's tag starts at the last ':' after the last '/' (a registry port is not one).
  const std::size_t slash = default_image.rfind('/');
  std::size_t colon = default_image.rfind(':');
  if (colon != std::string_view::npos && slash != std::string_view::npos && colon < slash) {
    colon = std::string_view::npos;
  }
  const std::string_view default_repository = default_image.substr(0, colon);
  const std::string_view default_tag = colon == std::string_view::npos
                                           ? std::string_view("latest")
                                           : default_image.substr(colon + 1);
  return image->repository.value_or(str(default_repository)) + ":" +
         image->tag.value_or(str(default_tag));
}

EnablerInjection enabler_injection(const api::SecurityProfile& profile,
                                   std::string_view default_image) {
  if (!api::enabler_sidecar(profile)) {
    throw std::invalid_argument("enabler_injection: the profile has no enabler in Sidecar mode");
  }
  const auto& e = *profile.spec.enabler;
  EnablerInjection inj;
  inj.profile = profile.metadata.name;
  inj.generation = profile.metadata.generation;
  inj.config_digest = enabler_config_digest(profile);
  inj.image = enabler_image(profile, default_image);
  inj.image_pull_policy =
      str(api::to_string(e.image ? e.image->pull_policy : api::kDefaultImagePullPolicy));
  inj.command = {str(kEnablerAgentBinary)};
  inj.env = {{str(kOpensslConfEnv), str(kEnablerOpensslCnfFile)}};
  inj.args = {"--config", str(kEnablerConfigFile), "--watch", str(kEnablerTlsDir),
              "--watch",  str(kEnablerCaDir),      "--watch", str(kEnablerConfigDir)};
  if (e.inbound) inj.container_ports = {static_cast<std::uint16_t>(e.inbound->tls_port)};

  nlohmann::json resources = nlohmann::json::object();
  const auto quantities = [](const api::ResourceQuantities& q) {
    nlohmann::json j = nlohmann::json::object();
    if (q.cpu) j["cpu"] = *q.cpu;
    if (q.memory) j["memory"] = *q.memory;
    return j;
  };
  if (e.resources && e.resources->requests) {
    resources["requests"] = quantities(*e.resources->requests);
  } else {
    resources["requests"] = {{"cpu", str(kDefaultEnablerCpuRequest)},
                             {"memory", str(kDefaultEnablerMemoryRequest)}};
  }
  if (e.resources && e.resources->limits) resources["limits"] = quantities(*e.resources->limits);
  inj.resources = std::move(resources);

  const std::string ca_key(kCaBundleKey);
  inj.volumes = {
      {str(kEnablerTlsVolume),
       "Secret",
       tls_secret_name(profile),
       {{str(kTlsCertificateKey), str(kEnablerCertificatePath), 0444},
        {str(kTlsPrivateKeyKey), str(kEnablerPrivateKeyPath), 0400}},
       str(kEnablerTlsDir)},
      {str(kEnablerCaVolume),
       "ConfigMap",
       trust_bundle_name(profile.spec.trust_domain_ref.name),
       {{ca_key, ca_key, 0444}, {str(kCrlKey), str(kCrlKey), 0444}},
       str(kEnablerCaDir)},
      {str(kEnablerConfigVolume),
       "ConfigMap",
       config_map_name(profile),
       {{str(kHaproxyCfgKey), str(kHaproxyCfgKey), 0444},
        {str(kOpensslCnfKey), str(kOpensslCnfKey), 0444}},
       str(kEnablerConfigDir)},
  };
  return inj;
}

}  // namespace secprov::render
