// secprov-operator: reconciles SecurityProfiles and TrustDomains into Secrets and ConfigMaps.
#include <malloc.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stop_token>
#include <thread>
#include <vector>

#include "controllers/manager.h"
#include "http/crl.h"
#include "http/io_threads.h"
#include "http/probes.h"
#include "http/server.h"
#include "kube/client.h"
#include "kube/config.h"
#include "runtime/events.h"
#include "runtime/leader_election.h"
#include "webhook/pod_injector.h"
#include "webhook/profile_validator.h"
#include "webhook/serving.h"

namespace {

struct Flags {
  std::string kubeconfig;
  std::string context;
  std::string operator_namespace = "secprov-system";
  std::string watch_namespaces = "all";
  bool leader_elect = false;
  std::string lease_name = "secprov-operator";
  std::string identity;
  double lease_duration = 15, renew_deadline = 10, retry_period = 2;
  std::string probe_address = "0.0.0.0";
  int probe_port = 8081;
  int workers = 2;
  // HTTP server I/O threads (http::use_io_threads): the webhook, probe and metrics servers
  // share them, and their work is moving bytes; cpprestsdk's own default is 40.
  int io_threads = 2;
  // How often the caches re-deliver every object to the controllers (a pass each, which writes
  // nothing when all is in order): a safety net only, since every change arrives as an event and
  // every time-based step (renewal, rotation) requeues itself. controller-runtime's default.
  double resync_period = 36000;
  // No client-side limit by default: API Priority and Fairness protects the server, and a
  // client limit would make the operator its own bottleneck (controller-runtime does the same
  // since PR #3119, on SIG API Machinery's advice). docs/benchmarks.md has the figures.
  double qps = 0;
  int burst = 100;
  std::string log_level = "info";
  std::string log_format = "text";
  std::string crl_base_url;
  int webhook_port = 9443;
  std::string webhook_address = "0.0.0.0";
  std::string webhook_service_name = "secprov-webhook";
  std::string webhook_configuration_name = "secprov";
  std::vector<std::string> webhook_dns_names;
  std::vector<std::string> webhook_ip_addresses;
  std::string webhook_cert_dir;
  std::string enabler_image = secprov::webhook::kDefaultEnablerImage;
};

void configure_logging(const Flags& flags) {
  auto logger = spdlog::stderr_logger_mt("secprov");
  if (flags.log_format == "json") {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(flags.log_level));
  spdlog::set_default_logger(logger);
}

std::string default_identity() {
  if (const char* pod = std::getenv("POD_NAME")) return pod;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "_" + std::to_string(::getpid());
}

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<long>(s * 1000));
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives threads that contend for the allocator arenas of their own, up to 8 per core,
  // and each keeps what it freed: with the reflectors', workers' and I/O threads the cache's
  // memory ends up spread over many. Two arenas keep the footprint near the live heap at no
  // measured CPU cost (the MALLOC_ARENA_MAX variable, when set, still decides).
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  Flags flags;
  CLI::App app{"secprov-operator: security configuration for 5G Core network functions"};
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  app.add_option("--context", flags.context, "kubeconfig context (default: current-context)");
  app.add_option("--namespace", flags.operator_namespace,
                 "the operator's namespace (CA key pairs, Lease)");
  app.add_option("--watch-namespaces", flags.watch_namespaces,
                 "namespaces whose SecurityProfiles are served: \"all\" (needs the "
                 "ClusterRole of deploy/operator/rbac-all-namespaces.yaml) or a comma-separated "
                 "list (a Role per namespace, deploy/operator/rbac-namespace.yaml)")
      ->capture_default_str();
  app.add_flag("--leader-elect", flags.leader_elect,
               "elect a leader through a Lease; only it reconciles");
  app.add_option("--lease-name", flags.lease_name, "name of the leader election Lease");
  app.add_option("--identity", flags.identity,
                 "leader election identity (default: $POD_NAME or host_pid)");
  app.add_option("--lease-duration", flags.lease_duration, "seconds")->check(CLI::PositiveNumber);
  app.add_option("--renew-deadline", flags.renew_deadline, "seconds")->check(CLI::PositiveNumber);
  app.add_option("--retry-period", flags.retry_period, "seconds")->check(CLI::PositiveNumber);
  app.add_option("--probe-address", flags.probe_address, "address of /healthz, /readyz, /metrics");
  app.add_option("--probe-port", flags.probe_port, "port of /healthz, /readyz, /metrics")
      ->check(CLI::Range(1, 65535));
  app.add_option("--workers", flags.workers, "reconcile workers per controller")
      ->check(CLI::Range(1, 64));
  app.add_option("--io-threads", flags.io_threads,
                 "HTTP I/O threads shared by the webhook, probe and metrics servers")
      ->check(CLI::Range(1, 64));
  app.add_option("--resync-period", flags.resync_period,
                 "seconds between re-deliveries of every cached object to the controllers")
      ->check(CLI::Range(60.0, 7 * 24 * 3600.0))
      ->capture_default_str();
  app.add_option("--kube-api-qps", flags.qps,
                 "client-side request rate limit per second; 0 (default): none, the API server's "
                 "Priority and Fairness protects it")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--kube-api-burst", flags.burst, "client-side burst (with --kube-api-qps > 0)")
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-format", flags.log_format, "text|json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--crl-base-url", flags.crl_base_url,
                 "base URL at which this operator's port is reachable to CRL consumers, e.g. "
                 "http://secprov-operator.secprov-system.svc:8081; certificates issued from "
                 "then on carry <base>/crl/<trustdomain>.crl as cRLDistributionPoints (those "
                 "issued before keep theirs until renewed); empty: no cRLDistributionPoints")
      ->check([](const std::string& value) {
        return value.empty() || value.rfind("http://", 0) == 0
                   ? std::string{}
                   : std::string("must start with http:// (RFC 5280 4.2.1.13: CRLs over HTTP)");
      });
  app.add_option("--webhook-port", flags.webhook_port,
                 "HTTPS port of the admission webhooks, served by every replica; 0: no webhooks "
                 "(no serving certificate, no caBundle injection)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--webhook-address", flags.webhook_address, "address of the admission webhooks")
      ->capture_default_str();
  app.add_option("--webhook-service-name", flags.webhook_service_name,
                 "Service in front of the webhooks: the serving certificate names "
                 "<service>.<namespace>.svc")
      ->capture_default_str();
  app.add_option("--webhook-configuration-name", flags.webhook_configuration_name,
                 "the MutatingWebhookConfiguration and ValidatingWebhookConfiguration whose "
                 "caBundle the operator injects (only when labelled "
                 "app.kubernetes.io/managed-by=secprov)")
      ->capture_default_str();
  app.add_option("--webhook-extra-dns-names", flags.webhook_dns_names,
                 "more DNS names in the serving certificate (comma-separated)")
      ->delimiter(',');
  app.add_option("--webhook-extra-ip-addresses", flags.webhook_ip_addresses,
                 "IP addresses in the serving certificate (comma-separated), e.g. 127.0.0.1")
      ->delimiter(',');
  app.add_option("--webhook-cert-dir", flags.webhook_cert_dir,
                 "where the serving certificate and key are written for the HTTPS server "
                 "(default: a directory of this process under the temporary directory)");
  app.add_option("--enabler-image", flags.enabler_image,
                 "image of the injected security enabler (HAProxy + secprov-enabler-agent), "
                 "unless a profile's spec.enabler.image overrides it");
  CLI11_PARSE(app, argc, argv);
  configure_logging(flags);
  if (flags.identity.empty()) flags.identity = default_identity();
  if (!(flags.renew_deadline < flags.lease_duration && flags.retry_period < flags.renew_deadline)) {
    spdlog::error("--retry-period < --renew-deadline < --lease-duration is required");
    return 2;
  }
  const auto served = secprov::controllers::parse_watch_namespaces(flags.watch_namespaces);
  if (const auto* invalid = std::get_if<secprov::controllers::InvalidWatchNamespaces>(&served)) {
    spdlog::error("--watch-namespaces: {}", invalid->message);
    return 2;
  }

  // Signals are taken by one thread with sigwait, so no handler runs in arbitrary context.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // After the mask (threads inherit it: a pool thread must not take SIGTERM's default action),
  // before any HTTP client or server exists (the pool is made with the first of them).
  secprov::http::use_io_threads(static_cast<std::size_t>(flags.io_threads));

  secprov::kube::ClusterConfig config;
  try {
    config = secprov::kube::load_default_config(
        flags.kubeconfig.empty() ? std::nullopt
                                 : std::optional<std::filesystem::path>(flags.kubeconfig),
        flags.context.empty() ? std::nullopt : std::optional<std::string>(flags.context));
  } catch (const secprov::kube::ConfigError& e) {
    spdlog::error("invalid configuration: {}: {}", e.field(), e.reason());
    return 2;
  }
  spdlog::info("connecting to {} ({})", config.server, config.source);
  secprov::kube::ClientOptions client_options;
  client_options.qps = flags.qps;
  client_options.burst = flags.burst;
  const auto client = secprov::kube::Client::connect(config, client_options);

  const auto registry = std::make_shared<prometheus::Registry>();
  // The one time source of the process.
  const auto clock = secprov::runtime::system_clock();
  secprov::runtime::EventRecorderOptions event_options;
  event_options.host = flags.identity;
  event_options.clock = clock;
  const auto events = std::make_shared<secprov::runtime::EventRecorder>(client, event_options);

  secprov::controllers::Manager manager(
      client, {.operator_namespace = flags.operator_namespace,
               .watch_namespaces = std::get<secprov::controllers::WatchNamespaces>(served),
               .workers = flags.workers,
               .resync_period = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::duration<double>(flags.resync_period)),
               .registry = registry,
               .events = events,
               .clock = clock,
               .crl_base_url = flags.crl_base_url});

  auto routes = secprov::http::operational_routes(
      {{"ping", [] { return true; }}},
      {{"informers", [&manager] { return manager.caches_synced(); }}}, registry);
  // The trust domains' CRLs, where --crl-base-url points certificates to.
  routes.merge(secprov::http::crl_routes(
      [&manager](std::string_view trust_domain) { return manager.crl_der(trust_domain); }));
  const auto server =
      secprov::http::start_server({.address = flags.probe_address,
                                   .port = static_cast<std::uint16_t>(flags.probe_port),
                                   .tls = std::nullopt},
                                  std::move(routes));

  std::stop_source stop;

  // Admission webhooks: every replica serves them from its own cache (caches run in every
  // replica) with the serving certificate of the Secrets all replicas share.
  std::unique_ptr<secprov::webhook::ServingCertificates> serving;
  std::unique_ptr<secprov::http::Server> webhook_server;
  std::jthread serving_loop;
  // The serving key's files: a directory of this process unless --webhook-cert-dir says
  // otherwise (then removed at exit, so no key is left behind in the temporary directory).
  const auto webhook_cert_dir = flags.webhook_cert_dir.empty()
                                    ? std::filesystem::temp_directory_path() /
                                          ("secprov-webhook-" + std::to_string(::getpid()))
                                    : std::filesystem::path(flags.webhook_cert_dir);
  if (flags.webhook_port != 0) {
    serving = std::make_unique<secprov::webhook::ServingCertificates>(
        client,
        secprov::webhook::ServingOptions{.operator_namespace = flags.operator_namespace,
                                         .service_name = flags.webhook_service_name,
                                         .extra_dns_names = flags.webhook_dns_names,
                                         .extra_ip_addresses = flags.webhook_ip_addresses,
                                         .configuration_name = flags.webhook_configuration_name,
                                         .cert_dir = webhook_cert_dir,
                                         .clock = clock});
    const auto profiles = manager.profiles();
    secprov::http::Routes webhook_routes;
    webhook_routes[secprov::webhook::kValidateProfilePath] =
        secprov::webhook::profile_validator_handler(
            {.in_namespace =
                 [profiles](const std::string& ns) {
                   return profiles->by_index(secprov::controllers::index::kProfileNamespace, ns);
                 },
             .in_trust_domain =
                 [profiles](const std::string& domain) {
                   return profiles->by_index(secprov::controllers::index::kProfileTrustDomain,
                                             domain);
                 },
             .synced = [&manager] { return manager.caches_synced(); }});
    webhook_routes[secprov::webhook::kMutatePodsPath] = secprov::webhook::pod_injector_handler(
        std::make_shared<const secprov::webhook::PodInjector>(secprov::webhook::PodInjectorOptions{
            .in_namespace =
                [profiles](const std::string& ns) {
                  return profiles->by_index(secprov::controllers::index::kProfileNamespace, ns);
                },
            .synced = [&manager] { return manager.caches_synced(); },
            .injection = {},
            .default_image = flags.enabler_image,
            .native_sidecars = secprov::webhook::detect_native_sidecars(*client)}));
    webhook_server =
        secprov::http::start_server({.address = flags.webhook_address,
                                     .port = static_cast<std::uint16_t>(flags.webhook_port),
                                     .tls = serving->tls_files()},
                                    std::move(webhook_routes));
    serving_loop = std::jthread([&serving, token = stop.get_token()] { serving->run(token); });
  }
  std::jthread signal_waiter([&stop, signals](std::stop_token) {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("received signal {}, shutting down", received);
    stop.request_stop();
  });

  manager.start_caches();
  int exit_code = 0;
  if (!flags.leader_elect) {
    manager.run_controllers(stop.get_token());
  } else {
    std::atomic<bool> lost{false};
    // Its own client with short requests: a hung renew must fail before the renew deadline.
    auto election_options = client_options;
    election_options.request_timeout =
        std::min(std::chrono::milliseconds(5000), seconds(flags.renew_deadline / 2));
    secprov::runtime::LeaderElector elector(
        secprov::kube::Client::connect(config, election_options),
        {.ns = flags.operator_namespace,
         .name = flags.lease_name,
         .identity = flags.identity,
         .lease_duration = seconds(flags.lease_duration),
         .renew_deadline = seconds(flags.renew_deadline),
         .retry_period = seconds(flags.retry_period),
         .release_on_cancel = true},
        {.on_started_leading =
             [&manager, &flags](std::stop_token leading) {
               spdlog::info("{} became leader", flags.identity);
               manager.run_controllers(leading);
             },
         .on_stopped_leading =
             [&lost, &stop, &flags] {
               if (!stop.stop_requested()) {
                 spdlog::error(
                     "{} lost leadership; exiting so nothing reconciles without the lease",
                     flags.identity);
                 lost = true;
                 stop.request_stop();
               }
             },
         .on_new_leader =
             [](const std::string& leader) { spdlog::info("leader is now {}", leader); }},
        registry, clock);
    elector.run(stop.get_token());
    exit_code = lost ? 1 : 0;
  }

  manager.stop_caches();
  events->flush();
  server->stop();
  if (webhook_server) webhook_server->stop();
  if (!stop.stop_requested()) stop.request_stop();
  if (serving_loop.joinable()) serving_loop.join();
  if (serving && flags.webhook_cert_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(webhook_cert_dir, ignored);
  }
  // Wake the signal thread if shutdown did not come from a signal.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  spdlog::info("stopped");
  return exit_code;
}
