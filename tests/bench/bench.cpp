// secprov-bench: the benchmark of issue 12, against a running control plane.
//
//  1. The bare-client floor: N Secrets (about 3 KiB) and N ConfigMaps created by this client,
//     unthrottled, with a few concurrent requests, as any controller could at best.
//  2. The operator (a child process, the real binary) and N SecurityProfiles (TLS only,
//     ECDSA P-256): time to all Ready, latency per profile, writes per profile by verb and
//     resource (the API server's own apiserver_request_total), operator CPU and peak RSS.
//  3. Drift repair: tls.crt of a profile's Secret edited, time until the operator restored it.
//  4. Trust-domain change: a staged CA rotation of the profiles' TrustDomain (replace-ca),
//     timed to its Complete phase, with passes, writes and CPU per profile; a control group
//     (a few profiles of another TrustDomain, created just before) must see no write at all.
//  5. Steady state: writes and operator CPU in a window after all were Ready.
//  6. The same requests by a bare client, the operator stopped: the harness's creates and the
//     operator's four writes per profile, copied from profile 0's (measure_same_requests).
// Prints a table and writes the same as JSON. Timing is reported, never asserted: goals
// belong in docs/benchmarks.md, not in a test (CI runs this at a small N to keep it working).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/http.h"
#include "support/free_port.h"
#include "support/process.h"

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using secprov::kube::Client;
namespace resources = secprov::kube::resources;

struct Options {
  int profiles = 50;
  int concurrency = 16;
  int drift_samples = 20;
  int steady_seconds = 60;
  int ready_timeout_seconds = 0;     // 0: 120 s + 1 s per 10 profiles
  bool no_rotation = false;          // skips the trust-domain change phase
  int rotation_timeout_seconds = 0;  // 0: 120 s + 1 s per 5 profiles
  std::string kubeconfig;
  std::string kubectl = "kubectl";
  std::string operator_binary;
  std::string operator_namespace = "secprov-system";
  std::string trust_domain = "bench";
  std::string key_algorithm = "ECDSA-P256";
  std::vector<std::string> operator_args;
  std::string work_dir = "build/bench";
  std::string json_out;
  pid_t controlplane_pid = 0;  // 0: unknown (its CPU is not reported)
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// p in [0, 100] of `values` (nearest rank); 0 for none.
double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::ranges::sort(values);
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Runs `body(i)` for i in [0, n) on `threads` threads; the first failure is rethrown.
template <typename Body>
void parallel_for(int n, int threads, Body body) {
  std::atomic<int> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < std::max(1, threads); ++t) {
      pool.emplace_back([&] {
        for (int i = next++; i < n; i = next++) {
          try {
            body(i);
          } catch (...) {
            std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
            next = n;
          }
        }
      });
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// ---- the API server's request counters ----

// apiserver_request_total summed by "VERB resource[/subresource]", writes only.
using WriteCounts = std::map<std::string, double>;

std::string label_value(const std::string& labels, const std::string& name) {
  const auto key = name + "=\"";
  const auto at = labels.find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return labels.substr(start, labels.find('"', start) - start);
}

WriteCounts scrape_writes(const Options& options) {
  std::string text;
  const auto command =
      options.kubectl + " --kubeconfig " + options.kubeconfig + " get --raw /metrics";
  if (secprov::testing::run_command(command, &text) != 0) {
    throw std::runtime_error("cannot read the API server's /metrics: " + text);
  }
  static const std::set<std::string> kWrites = {"POST",  "PUT",    "PATCH",
                                                "APPLY", "DELETE", "DELETECOLLECTION"};
  WriteCounts counts;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("apiserver_request_total{")) continue;
    const auto close = line.find('}');
    const auto labels = line.substr(0, close);
    const auto verb = label_value(labels, "verb");
    if (!kWrites.contains(verb)) continue;
    auto resource = label_value(labels, "resource");
    // Leader election of the control plane's own controller-manager, not the operator.
    if (resource == "leases") continue;
    const auto sub = label_value(labels, "subresource");
    if (!sub.empty()) resource += "/" + sub;
    counts[verb + " " + resource] += std::stod(line.substr(close + 1));
  }
  return counts;
}

WriteCounts minus(WriteCounts after, const WriteCounts& before) {
  for (const auto& [key, value] : before) after[key] -= value;
  std::erase_if(after, [](const auto& entry) { return entry.second <= 0.5; });
  return after;
}

double total(const WriteCounts& counts) {
  double sum = 0;
  for (const auto& [key, value] : counts) sum += value;
  return sum;
}

// ---- the operator's own /metrics: passes per profile ----

// "controller_runtime_reconcile_total{controller,result}" as "<controller> <result>",
// "secprov_watch_events_skipped_total{controller,reason}" as "skipped <controller> <reason>",
// and the seconds keys spent queued and reconciling per controller (minus() of the write
// counts applies).
using MetricCounts = WriteCounts;

MetricCounts scrape_operator(secprov::kube::HttpTransport& metrics) {
  secprov::kube::HttpRequest request;
  request.method = "GET";
  request.target = "/metrics";
  request.timeout = std::chrono::seconds(10);
  const auto response = metrics.send(request);
  if (response.status != 200) {
    throw std::runtime_error("operator /metrics answered " + std::to_string(response.status));
  }
  // Each metric: the label naming the controller, and the label that splits it further (or,
  // in brackets, what the value is).
  struct Kind {
    std::string metric;
    std::string controller_label;
    std::string detail;
  };
  const std::vector<Kind> kinds = {
      {"controller_runtime_reconcile_total{", "controller", "result"},
      {"secprov_watch_events_skipped_total{", "controller", "reason"},
      {"workqueue_queue_duration_seconds_sum{", "name", "[seconds queued]"},
      {"controller_runtime_reconcile_time_seconds_sum{", "controller", "[seconds reconciling]"}};
  MetricCounts counts;
  std::istringstream lines(response.body);
  for (std::string line; std::getline(lines, line);) {
    for (const auto& kind : kinds) {
      if (!line.starts_with(kind.metric)) continue;
      const auto close = line.find('}');
      const auto labels = line.substr(0, close);
      const auto detail =
          kind.detail.starts_with("[") ? kind.detail : label_value(labels, kind.detail);
      const std::string prefix = kind.metric.starts_with("secprov") ? "skipped " : "";
      counts[prefix + label_value(labels, kind.controller_label) + " " + detail] +=
          std::stod(line.substr(close + 1));
    }
  }
  return counts;
}

// ---- the operator process ----

struct ProcessUsage {
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
  double rss_mib = 0;
  double context_switches = 0;  // voluntary and not, of every thread: the hand-offs
};

ProcessUsage usage_of(pid_t pid) {
  ProcessUsage usage;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);  // one line
  // Fields after the command name (which may hold spaces): utime is the 14th, stime the 15th.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> values{std::istream_iterator<std::string>(fields), {}};
  if (values.size() > 13) {
    usage.cpu_seconds =
        (std::stod(values[11]) + std::stod(values[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    const auto kib = [&] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.starts_with("VmHWM:")) usage.peak_rss_mib = kib();
    if (line.starts_with("VmRSS:")) usage.rss_mib = kib();
  }
  // The process's own line sums only its main thread: add every task's.
  const auto tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream task_status(task.path() / "status");
    for (std::string line; std::getline(task_status, line);) {
      if (line.starts_with("voluntary_ctxt_switches:") ||
          line.starts_with("nonvoluntary_ctxt_switches:")) {
        usage.context_switches += std::stod(line.substr(line.find(':') + 1));
      }
    }
  }
  return usage;
}

// Where the machine's CPU went over a window: on a machine this size, the control plane and
// the operator share the cores, and a window with the cores busy is bound by CPU, not by a
// lock or a queue of the operator's.
struct CpuSample {
  double machine_busy_seconds = 0;   // /proc/stat: every CPU's non-idle time
  double machine_total_seconds = 0;  // busy and idle
  double controlplane_seconds = 0;   // the control plane process (apiserver and etcd)
};

CpuSample cpu_sample(pid_t controlplane_pid) {
  CpuSample sample;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  sample.machine_busy_seconds = (user + nice + system + irq + softirq + steal) / tick;
  sample.machine_total_seconds = sample.machine_busy_seconds + (idle + iowait) / tick;
  if (controlplane_pid > 0) sample.controlplane_seconds = usage_of(controlplane_pid).cpu_seconds;
  return sample;
}

// The window's split, the operator's CPU given (usage_of covers it already).
Json cpu_split(const CpuSample& before, const CpuSample& after, double operator_seconds) {
  const double busy = after.machine_busy_seconds - before.machine_busy_seconds;
  const double total = after.machine_total_seconds - before.machine_total_seconds;
  return {{"machine_busy_fraction", total > 0 ? busy / total : 0.0},
          {"machine_busy_cpu_seconds", busy},
          {"controlplane_cpu_seconds", after.controlplane_seconds - before.controlplane_seconds},
          {"operator_cpu_seconds", operator_seconds}};
}

void print_cpu_split(const char* label, const Json& split) {
  std::printf(
      "%-44s %.0f %% busy: control plane %.2f s, operator %.2f s, of %.2f s\n", label,
      100 * split.value("machine_busy_fraction", 0.0), split.value("controlplane_cpu_seconds", 0.0),
      split.value("operator_cpu_seconds", 0.0), split.value("machine_busy_cpu_seconds", 0.0));
}

// ---- objects ----

std::string random_base64(std::size_t bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 random(static_cast<unsigned>(bytes));
  std::string out;
  for (std::size_t i = 0; i < (bytes + 2) / 3 * 4; ++i) out += kAlphabet[random() % 64];
  return out;
}

Json namespace_object(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

std::string profile_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "p-%05d", i);
  return name;
}

Json profile_object(const Options& options, const std::string& ns, int i,
                    const std::string& trust_domain) {
  const auto name = profile_name(i);
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "SecurityProfile"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"nfType", "AMF"},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"trustDomainRef", {{"name", trust_domain}}},
            {"sbi",
             {{"tls",
               {{"mode", "MutualTLS"},
                {"certificate", {{"keyAlgorithm", options.key_algorithm}}}}}}}}}};
}

bool is_ready(const Json& profile) {
  const auto status = profile.value("status", Json::object());
  for (const auto& condition : status.value("conditions", Json::array())) {
    if (condition.value("type", "") == "Ready") return condition.value("status", "") == "True";
  }
  return false;
}

// ---- phases ----

struct FloorResult {
  int objects = 0;
  double seconds = 0;
};

FloorResult measure_floor(Client& client, const Options& options) {
  const std::string ns = "bench-floor";
  client.create(resources::namespaces(), "", namespace_object(ns));
  const auto payload = random_base64(3 * 1024 * 3 / 4);
  const auto start = Clock::now();
  parallel_for(options.profiles, options.concurrency, [&](int i) {
    const auto name = profile_name(i);
    client.create(resources::secrets(), ns,
                  {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", name + "-tls"}, {"namespace", ns}}},
                   {"type", "Opaque"},
                   {"data", {{"tls.crt", payload}}}});
    client.create(resources::config_maps(), ns,
                  {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", name + "-security"}, {"namespace", ns}}},
                   {"data", {{"security.yaml", "tls:\n  mode: MutualTLS\n"}}}});
  });
  // The namespace is deleted at the end: its deletion's writes must not fall into the
  // operator's measurement window.
  return {2 * options.profiles, seconds_since(start)};
}

// The operator's requests for profile 0, taken once all were Ready: copied for each profile of
// the same-requests floor (measure_same_requests).
struct OperatorRequests {
  Json secret;
  Json config_map;
  Json status;
  Json event;
};

OperatorRequests operator_requests_of(Client& client, const std::string& ns) {
  const auto name = profile_name(0);
  secprov::kube::ListOptions events;
  events.field_selector = "involvedObject.name=" + name;
  auto listed = client.list(resources::events(), ns, events).items;
  if (listed.empty()) throw std::runtime_error("no Event of " + name + " to copy");
  return {client.get(resources::secrets(), ns, name + "-tls"),
          client.get(resources::config_maps(), ns, name + "-security"),
          client.get(resources::security_profiles(), ns, name).at("status"), listed.front()};
}

// `object` as a new object of `ns` named `name`, controlled by `owner` like the original:
// labels and annotations kept, the server's fields and finalizers left out (nothing would
// remove the finalizers once the operator has stopped).
Json copied_for(const Json& object, const std::string& ns, const std::string& name,
                const Json& owner) {
  Json copy = object;
  const auto& metadata = object.at("metadata");
  copy["metadata"] = {{"name", name}, {"namespace", ns}};
  for (const char* field : {"labels", "annotations"}) {
    if (metadata.contains(field)) copy["metadata"][field] = metadata.at(field);
  }
  if (metadata.contains("ownerReferences")) {
    Json reference = metadata.at("ownerReferences").at(0);
    reference["name"] = owner.at("metadata").at("name");
    reference["uid"] = owner.at("metadata").at("uid");
    copy["metadata"]["ownerReferences"] = Json::array({reference});
  }
  return copy;
}

// One kind of request of the same-requests floor: its wall time and the control plane's CPU.
struct RequestKind {
  std::string name;
  double seconds = 0;
  double controlplane_cpu_seconds = 0;
};

// The same requests as the run's, by a bare client, with the operator stopped: the harness's
// creates, then the operator's four writes per profile copied from profile 0's (Secret,
// ConfigMap, status update, Event), kind after kind, each on `concurrency` threads. The
// issue's floor prices every write as a core object's create; this prices each kind of
// request the workload needs, so it is the pace the API server allows for this very workload
// (docs/benchmarks.md, session 28).
std::vector<RequestKind> measure_same_requests(Client& client, const Options& options,
                                               const OperatorRequests& requests) {
  const std::string ns = "bench-requests";
  client.create(resources::namespaces(), "", namespace_object(ns));
  std::vector<Json> profiles(options.profiles);
  std::vector<RequestKind> kinds;
  const auto timed = [&](std::string name, const auto& request) {
    const auto before = cpu_sample(options.controlplane_pid);
    const auto start = Clock::now();
    parallel_for(options.profiles, options.concurrency, request);
    const double seconds = seconds_since(start);
    const auto after = cpu_sample(options.controlplane_pid);
    kinds.push_back(
        {std::move(name), seconds, after.controlplane_seconds - before.controlplane_seconds});
  };
  using secprov::kube::Answer;
  timed("POST securityprofiles", [&](int i) {
    profiles[i] =
        client.create(resources::security_profiles(), ns,
                      profile_object(options, ns, i, options.trust_domain), Answer::Metadata);
  });
  timed("POST secrets", [&](int i) {
    client.create(resources::secrets(), ns,
                  copied_for(requests.secret, ns, profile_name(i) + "-tls", profiles[i]),
                  Answer::Metadata);
  });
  timed("POST configmaps", [&](int i) {
    client.create(resources::config_maps(), ns,
                  copied_for(requests.config_map, ns, profile_name(i) + "-security", profiles[i]),
                  Answer::Metadata);
  });
  timed("PUT securityprofiles/status", [&](int i) {
    const auto& metadata = profiles[i].at("metadata");
    client.update(
        resources::security_profiles(), ns,
        {{"apiVersion", "secprov.io/v1alpha1"},
         {"kind", "SecurityProfile"},
         {"metadata",
          {{"name", metadata.at("name")},
           {"namespace", ns},
           {"resourceVersion", metadata.at("resourceVersion")}}},
         {"status", requests.status}},
        "status",
        secprov::kube::UpdateOptions{.field_manager = "secprov-bench", .answer = Answer::Metadata});
  });
  timed("POST events", [&](int i) {
    const auto& metadata = profiles[i].at("metadata");
    Json event = copied_for(requests.event, ns, profile_name(i) + ".bench", profiles[i]);
    event["involvedObject"]["namespace"] = ns;
    event["involvedObject"]["name"] = metadata.at("name");
    event["involvedObject"]["uid"] = metadata.at("uid");
    event["involvedObject"]["resourceVersion"] = metadata.at("resourceVersion");
    client.create(resources::events(), ns, event, Answer::Metadata);
  });
  return kinds;
}

// Watches SecurityProfiles of `ns` and notes when each is first Ready.
class ReadyWatcher {
 public:
  ReadyWatcher(std::shared_ptr<Client> client, std::string ns)
      : client_(std::move(client)),
        ns_(std::move(ns)),
        thread_([this](std::stop_token stop) { run(stop); }) {}
  ~ReadyWatcher() {
    thread_.request_stop();
    if (auto stream = current()) stream->cancel();
  }

  // Waits until `n` are Ready or the timeout; returns how many were.
  std::size_t wait_for(std::size_t n, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return ready_.size() >= n; });
    return ready_.size();
  }
  std::map<std::string, Clock::time_point> ready() const {
    std::lock_guard lock(mutex_);
    return ready_;
  }
  // Per profile that had been Ready: the versions of it seen not Ready since.
  std::map<std::string, int> lost_ready() const {
    std::lock_guard lock(mutex_);
    return lost_ready_;
  }

 private:
  std::shared_ptr<secprov::kube::WatchStream> current() {
    std::lock_guard lock(mutex_);
    return stream_;
  }
  void run(std::stop_token stop) {
    std::string resource_version;
    while (!stop.stop_requested()) {
      try {
        if (resource_version.empty()) {
          const auto list = client_->list(resources::security_profiles(), ns_);
          for (const auto& item : list.items) note(item);
          resource_version = list.resource_version;
        }
        secprov::kube::WatchOptions watch_options;
        watch_options.resource_version = resource_version;
        watch_options.timeout = std::chrono::seconds(30);  // bounds a stop racing a new watch
        std::shared_ptr<secprov::kube::WatchStream> stream =
            client_->watch(resources::security_profiles(), ns_, watch_options);
        {
          std::lock_guard lock(mutex_);
          stream_ = stream;
        }
        while (auto event = stream->next()) {
          resource_version = event->resource_version();
          if (event->type != secprov::kube::WatchEventType::Bookmark) note(event->object);
        }
      } catch (const secprov::kube::ApiError&) {
        resource_version.clear();  // relist (410 Gone, or a broken stream)
      }
    }
  }
  void note(const Json& profile) {
    const auto name = profile["metadata"].value("name", "");
    std::lock_guard lock(mutex_);
    if (!is_ready(profile)) {
      if (ready_.contains(name)) ++lost_ready_[name];
      return;
    }
    ready_.try_emplace(name, Clock::now());
    changed_.notify_all();
  }

  std::shared_ptr<Client> client_;
  std::string ns_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Clock::time_point> ready_;
  std::map<std::string, int> lost_ready_;
  std::shared_ptr<secprov::kube::WatchStream> stream_;
  std::jthread thread_;
};

// Edits tls.crt of `secret` and polls until the operator restored it; seconds, or nullopt.
std::optional<double> drift_repair(Client& client, const std::string& ns,
                                   const std::string& secret) {
  const auto start = Clock::now();
  client.merge_patch(resources::secrets(), ns, secret,
                     {{"data", {{"tls.crt", "ZWRpdGVkIGJ5IHRoZSBiZW5jaG1hcms="}}}});
  while (seconds_since(start) < 30) {
    const auto now = client.get(resources::secrets(), ns, secret)["data"]["tls.crt"];
    if (now != "ZWRpdGVkIGJ5IHRoZSBiZW5jaG1hcms=") return seconds_since(start);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::nullopt;
}

Json counts_json(const WriteCounts& counts, double per) {
  Json out = Json::object();
  for (const auto& [key, value] : counts) out[key] = per > 0 ? value / per : value;
  return out;
}

// ---- the trust-domain change ----

// Waits until the operator's counters (passes, seconds queued and reconciling) stay the same
// for `still`, at most `limit`: the work that was started has run out. Returns when they
// last changed (the passes ended before), or nullopt at the limit.
std::optional<Clock::time_point> wait_quiet(secprov::kube::HttpTransport& metrics,
                                            std::chrono::milliseconds still,
                                            std::chrono::seconds limit) {
  constexpr auto kPoll = std::chrono::milliseconds(250);
  const auto start = Clock::now();
  auto last = scrape_operator(metrics);
  auto changed = Clock::now();
  while (Clock::now() - start < limit) {
    std::this_thread::sleep_for(kPoll);
    auto now = scrape_operator(metrics);
    if (now != last) {
      last = std::move(now);
      changed = Clock::now();
    } else if (Clock::now() - changed >= still) {
      return changed;
    }
  }
  return std::nullopt;
}

Json trust_domain_object(const std::string& name, const std::string& domain) {
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "TrustDomain"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"domain", domain},
            {"country", "FR"},
            {"organization", "secprov benchmark"},
            {"ca", {{"generate", {{"keyAlgorithm", "ECDSA-P256"}}}}}}}};
}

void wait_domain_ready(Client& client, const std::string& name, const std::string& log) {
  const auto start = Clock::now();
  while (!is_ready(client.get(resources::trust_domains(), "", name))) {
    if (seconds_since(start) > 120) {
      throw std::runtime_error("TrustDomain " + name +
                               " not Ready after 120 s; operator log: " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// What the operator could write for a group of profiles: the profiles of `ns`, every Secret
// and ConfigMap of `ns`, the TrustDomain `domain` and its CA key pair Secret. Key: "Kind
// namespace/name"; value: resourceVersion and the profile that owns it ("" for none).
struct Version {
  std::string resource_version;
  std::string profile;
  friend bool operator==(const Version&, const Version&) = default;
};
using Versions = std::map<std::string, Version>;

Versions versions_of_group(Client& client, const Options& options, const std::string& ns,
                           const std::string& domain) {
  Versions versions;
  const auto add = [&](const std::string& kind, const Json& object) {
    const auto& metadata = object.at("metadata");
    std::string profile;
    if (kind == "SecurityProfile") profile = metadata.value("name", "");
    for (const auto& owner : metadata.value("ownerReferences", Json::array())) {
      if (owner.value("kind", "") == "SecurityProfile") profile = owner.value("name", "");
    }
    versions[kind + " " + metadata.value("namespace", "") + "/" + metadata.value("name", "")] = {
        metadata.value("resourceVersion", ""), profile};
  };
  for (const auto& item : client.list(resources::security_profiles(), ns).items) {
    add("SecurityProfile", item);
  }
  for (const auto& item : client.list(resources::secrets(), ns).items) add("Secret", item);
  for (const auto& item : client.list(resources::config_maps(), ns).items) add("ConfigMap", item);
  const auto trust_domain = client.get(resources::trust_domains(), "", domain);
  add("TrustDomain", trust_domain);
  const auto ca_secret =
      trust_domain.value("status", Json::object()).value("caSecretName", std::string{});
  if (!ca_secret.empty()) {
    add("Secret", client.get(resources::secrets(), options.operator_namespace, ca_secret));
  }
  return versions;
}

// Observes the staged rotation `token` of TrustDomain `domain` through a watch that starts
// at `resource_version` (a list taken before the rotation was asked for), until its status
// says Complete or `deadline`.
struct RotationObserved {
  bool completed = false;
  double seconds = 0;                              // from `start` to Complete
  std::map<std::string, double> phase_at;          // first seen, seconds after `start`
  std::map<std::string, std::string> phase_since;  // status.rotation.phaseSince
  int status_versions = 0;                         // versions of the TrustDomain seen
  Json rotation;                                   // the last status.rotation seen
};

RotationObserved observe_rotation(Client& client, const std::string& domain,
                                  const std::string& token, std::string resource_version,
                                  Clock::time_point start, Clock::time_point deadline) {
  RotationObserved observed;
  const auto note = [&](const Json& object) {
    if (object.at("metadata").value("name", "") != domain) return;
    const auto status = object.value("status", Json::object());
    const auto rotation = status.value("rotation", Json::object());
    if (rotation.value("token", "") != token) return;
    ++observed.status_versions;
    observed.rotation = rotation;
    const auto phase = rotation.value("phase", "");
    if (observed.phase_at.try_emplace(phase, seconds_since(start)).second) {
      observed.phase_since[phase] = rotation.value("phaseSince", "");
    }
    bool rotating = true;
    for (const auto& condition : status.value("conditions", Json::array())) {
      if (condition.value("type", "") == "Rotating") {
        rotating = condition.value("status", "") != "False";
      }
    }
    if (phase == "Complete" && !rotating && !observed.completed) {
      observed.completed = true;
      observed.seconds = seconds_since(start);
    }
  };
  while (!observed.completed && Clock::now() < deadline) {
    try {
      if (resource_version.empty()) {
        const auto list = client.list(resources::trust_domains(), "");
        for (const auto& item : list.items) note(item);
        resource_version = list.resource_version;
        continue;
      }
      secprov::kube::WatchOptions watch_options;
      watch_options.resource_version = resource_version;
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
      watch_options.timeout = std::clamp(left, std::chrono::seconds(1), std::chrono::seconds(30));
      const auto stream = client.watch(resources::trust_domains(), "", watch_options);
      while (auto event = stream->next()) {
        resource_version = event->resource_version();
        if (event->type != secprov::kube::WatchEventType::Bookmark) note(event->object);
        if (observed.completed) break;
      }
      stream->cancel();
    } catch (const secprov::kube::ApiError&) {
      resource_version.clear();  // relist (410 Gone, or a broken stream)
    }
  }
  observed.rotation.erase("newCACertificate");  // public, but long: the JSON keeps the rest
  observed.rotation.erase("oldCACertificate");
  return observed;
}

// Each profile's Secret after the rotation: its leaf issued by the new CA, and its ca.crt
// with the new CA and without the old one.
struct RotationChecked {
  int reissued = 0;     // leaf from the new CA
  int new_trusted = 0;  // ca.crt holds the new CA
  int old_trusted = 0;  // ca.crt still holds the old CA
  int unreadable = 0;   // no Secret, or no certificate in it
};

RotationChecked check_rotation(Client& client, const std::string& ns, int profiles,
                               const std::string& new_ca_pem, const std::string& old_fingerprint) {
  RotationChecked checked;
  const auto new_ca = secprov::crypto::Certificate::from_pem(new_ca_pem);
  const auto new_fingerprint = new_ca.sha256_fingerprint();
  std::map<std::string, Json> secrets;
  for (auto& item : client.list(resources::secrets(), ns).items) {
    auto name = item["metadata"].value("name", "");
    secrets[std::move(name)] = std::move(item);
  }
  for (int i = 0; i < profiles; ++i) {
    const auto found = secrets.find(profile_name(i) + "-tls");
    try {
      if (found == secrets.end()) throw std::runtime_error("no Secret");
      const auto data = found->second.value("data", Json::object());
      const auto leaf = secprov::crypto::base64_decode(data.value("tls.crt", ""));
      const auto bundle = secprov::crypto::base64_decode(data.value("ca.crt", ""));
      if (!leaf || !bundle) throw std::runtime_error("not base64");
      if (secprov::crypto::Certificate::parse_chain(*leaf).front().issued_by(new_ca)) {
        ++checked.reissued;
      }
      bool has_new = false;
      bool has_old = false;
      for (const auto& ca : secprov::crypto::Certificate::parse_chain(*bundle)) {
        has_new = has_new || ca.sha256_fingerprint() == new_fingerprint;
        has_old = has_old || ca.sha256_fingerprint() == old_fingerprint;
      }
      checked.new_trusted += has_new ? 1 : 0;
      checked.old_trusted += has_old ? 1 : 0;
    } catch (const std::exception&) {
      ++checked.unreadable;
    }
  }
  return checked;
}

// The trust-domain change of issue 12: a staged CA rotation of the profiles' TrustDomain
// (the replace-ca annotation), timed until its status says Complete. A control group (a few
// profiles of another TrustDomain, in another namespace) is created first, outside the
// measured window, and must see no write. The result's "ok" is false when the rotation did
// not complete by the timeout, left a profile without a leaf of the new CA or with the old
// CA trusted, let a profile lose Ready on the way (a rotation is one peers survive), or when
// anything of the control group was written.
Json measure_trust_domain_change(const std::shared_ptr<Client>& client, const Options& options,
                                 secprov::kube::HttpTransport& metrics, pid_t operator_pid,
                                 const ReadyWatcher& watcher, const std::string& log) {
  constexpr int kControlProfiles = 10;
  const std::string control_ns = "bench-other";  // created with "bench", before the operator
  const std::string control_domain = "bench-other";
  const std::string ns = "bench";
  const double n = options.profiles;

  std::cout << "==> control group: " << kControlProfiles << " profiles of TrustDomain "
            << control_domain << "\n"
            << std::flush;
  client->create(resources::trust_domains(), "",
                 trust_domain_object(control_domain, "5gc.mnc002.mcc001.3gppnetwork.org"));
  wait_domain_ready(*client, control_domain, log);
  {
    ReadyWatcher control_watcher(client, control_ns);
    parallel_for(kControlProfiles, options.concurrency, [&](int i) {
      client->create(resources::security_profiles(), control_ns,
                     profile_object(options, control_ns, i, control_domain));
    });
    if (control_watcher.wait_for(kControlProfiles, std::chrono::seconds(120)) < kControlProfiles) {
      throw std::runtime_error(
          "the control group's profiles not Ready after 120 s; operator log: " + log);
    }
  }
  // Their last passes and echoes (and the drift repairs') end before the window opens.
  wait_quiet(metrics, std::chrono::seconds(1), std::chrono::seconds(30));
  const auto control_before = versions_of_group(*client, options, control_ns, control_domain);

  const auto timeout =
      std::chrono::seconds(options.rotation_timeout_seconds > 0 ? options.rotation_timeout_seconds
                                                                : 120 + options.profiles / 5);
  std::cout << "==> trust-domain change: CA rotation of " << options.trust_domain << " (timeout "
            << timeout.count() << " s)\n"
            << std::flush;
  const std::string token = "bench-rotation";
  const auto domains = client->list(resources::trust_domains(), "");
  const auto passes_before = scrape_operator(metrics);
  const auto writes_before = scrape_writes(options);
  const auto usage_before = usage_of(operator_pid);
  const auto machine_before = cpu_sample(options.controlplane_pid);
  const auto lost_ready_before = watcher.lost_ready();
  const auto start = Clock::now();
  client->merge_patch(resources::trust_domains(), "", options.trust_domain,
                      {{"metadata", {{"annotations", {{"secprov.io/replace-ca", token}}}}}});
  auto observed = observe_rotation(*client, options.trust_domain, token, domains.resource_version,
                                   start, start + timeout);
  const auto usage_complete = usage_of(operator_pid);
  // What the Complete status sets off (each profile's pass on the domain's change) is part of
  // the change: the window ends when the operator is quiet again.
  std::optional<Clock::time_point> quiet;
  if (observed.completed) {
    quiet = wait_quiet(metrics, std::chrono::seconds(1), std::chrono::seconds(60));
  }
  const auto passes = minus(scrape_operator(metrics), passes_before);
  auto writes = minus(scrape_writes(options), writes_before);
  writes["PATCH trustdomains"] -= 1;  // the harness's annotation
  std::erase_if(writes, [](const auto& entry) { return entry.second <= 0.5; });
  const auto usage_after = usage_of(operator_pid);
  const auto machine_after = cpu_sample(options.controlplane_pid);
  // The profiles of the domain seen not Ready at some point of the window (a status write).
  Json not_ready = Json::array();
  for (const auto& [name, count] : watcher.lost_ready()) {
    const auto before = lost_ready_before.find(name);
    if (before == lost_ready_before.end() || before->second < count) not_ready.push_back(name);
  }
  const auto control_after = versions_of_group(*client, options, control_ns, control_domain);

  // What of the control group changed: objects written, created or deleted, and the profiles
  // they belong to.
  Json control_written = Json::array();
  std::set<std::string> control_profiles_written;
  for (const auto& [key, version] : control_after) {
    const auto before = control_before.find(key);
    if (before == control_before.end() || before->second != version) {
      control_written.push_back(key);
      if (!version.profile.empty()) control_profiles_written.insert(version.profile);
    }
  }
  for (const auto& [key, version] : control_before) {
    if (!control_after.contains(key)) {
      control_written.push_back(key + " (deleted)");
      if (!version.profile.empty()) control_profiles_written.insert(version.profile);
    }
  }

  RotationChecked checked;
  if (observed.completed) {
    const auto rotation = client->get(resources::trust_domains(), "", options.trust_domain)
                              .value("status", Json::object())
                              .value("rotation", Json::object());
    checked = check_rotation(*client, ns, options.profiles,
                             rotation.value("newCACertificate", std::string{}),
                             rotation.value("oldCAFingerprint", std::string{}));
  }

  // Seconds in each phase, from when the watch first saw it to the next one.
  static const std::vector<std::string> kPhases = {"Distributing", "Reissuing", "Retiring",
                                                   "Complete"};
  Json phases = Json::object();
  if (observed.phase_at.contains(kPhases.front())) {
    phases["new CA generated"] = observed.phase_at.at(kPhases.front());
  }
  for (std::size_t i = 0; i + 1 < kPhases.size(); ++i) {
    if (observed.phase_at.contains(kPhases[i]) && observed.phase_at.contains(kPhases[i + 1])) {
      phases[kPhases[i]] = observed.phase_at.at(kPhases[i + 1]) - observed.phase_at.at(kPhases[i]);
    }
  }
  const double cpu = usage_after.cpu_seconds - usage_before.cpu_seconds;
  const bool ok = observed.completed && checked.reissued == options.profiles &&
                  checked.new_trusted == options.profiles && checked.old_trusted == 0 &&
                  checked.unreadable == 0 && control_written.empty() && not_ready.empty();
  return {
      {"ok", ok},
      {"completed", observed.completed},
      {"timeout_seconds", timeout.count()},
      {"seconds", observed.completed ? observed.seconds : seconds_since(start)},
      {"seconds_to_quiet",
       quiet ? Json(std::chrono::duration<double>(*quiet - start).count()) : Json(nullptr)},
      {"phases_seconds", phases},
      {"phase_first_seen_seconds", observed.phase_at},
      {"phase_since", observed.phase_since},
      {"trust_domain_versions_seen", observed.status_versions},
      {"profiles_not_ready_at_some_point", not_ready.size()},
      {"not_ready", not_ready},
      {"rotation", observed.rotation},
      {"checked",
       {{"leaf_from_new_ca", checked.reissued},
        {"new_ca_trusted", checked.new_trusted},
        {"old_ca_trusted", checked.old_trusted},
        {"unreadable", checked.unreadable}}},
      {"passes_per_profile", counts_json(passes, n)},
      {"writes_total", total(writes)},
      {"writes_per_profile", counts_json(writes, n)},
      {"operator_cpu_seconds", cpu},
      {"operator_cpu_seconds_to_complete", usage_complete.cpu_seconds - usage_before.cpu_seconds},
      {"operator_cpu_ms_per_profile", 1000 * cpu / n},
      {"cpu", cpu_split(machine_before, machine_after, cpu)},
      {"control_group",
       {{"trust_domain", control_domain},
        {"namespace", control_ns},
        {"profiles", kControlProfiles},
        {"objects", control_before.size()},
        {"objects_written", control_written.size()},
        {"written", control_written},
        {"profiles_rewritten", control_profiles_written.size()}}},
  };
}

void print_trust_domain_change(const Json& change, double n) {
  if (change.value("skipped", false)) {
    std::printf("%-44s skipped (--no-rotation)\n", "trust-domain change (CA rotation)");
    return;
  }
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.2f s", change.value("seconds", 0.0));
  std::printf("%-44s %s\n", "trust-domain change (CA rotation)",
              change.value("completed", false)
                  ? (std::string(seconds) + " to Complete").c_str()
                  : ("NOT COMPLETED after " + std::string(seconds)).c_str());
  const auto& phases = change.at("phases_seconds");
  for (const std::string phase : {"new CA generated", "Distributing", "Reissuing", "Retiring"}) {
    if (phases.contains(phase)) {
      std::printf("    %-40s %.2f s\n", phase.c_str(), phases.at(phase).get<double>());
    }
  }
  if (!change.at("seconds_to_quiet").is_null()) {
    std::printf("    %-40s %.2f s\n", "operator quiet again after",
                change.at("seconds_to_quiet").get<double>());
  }
  std::printf("    %-40s %zu of %.0f\n", "profiles seen not Ready at some point",
              change.value("profiles_not_ready_at_some_point", std::size_t{0}), n);
  const auto& checked = change.at("checked");
  if (change.value("completed", false)) {
    std::printf("    %-40s %d / %d / %d of %.0f\n", "leaf from new CA / new, old CA trusted",
                checked.value("leaf_from_new_ca", 0), checked.value("new_ca_trusted", 0),
                checked.value("old_ca_trusted", 0), n);
  }
  std::printf("%-44s %.2f\n", "  writes per profile", change.value("writes_total", 0.0) / n);
  for (const auto& [key, value] : change.at("writes_per_profile").items()) {
    std::printf("    %-40s %.2f\n", key.c_str(), value.get<double>());
  }
  std::printf("%-44s %.2f s (%.2f ms per profile)\n", "  operator CPU",
              change.value("operator_cpu_seconds", 0.0),
              change.value("operator_cpu_ms_per_profile", 0.0));
  print_cpu_split("  machine CPU", change.at("cpu"));
  std::printf("%-44s\n", "  passes per profile");
  for (const auto& [key, value] : change.at("passes_per_profile").items()) {
    std::printf("    %-40s %.2f\n", key.c_str(), value.get<double>());
  }
  const auto& control = change.at("control_group");
  std::printf("%-44s %zu of %zu objects written, %zu of %d profiles re-rendered\n",
              ("  control group (" + control.value("trust_domain", std::string{}) + ")").c_str(),
              control.value("objects_written", std::size_t{0}),
              control.value("objects", std::size_t{0}),
              control.value("profiles_rewritten", std::size_t{0}), control.value("profiles", 0));
  for (const auto& name : control.at("written")) {
    std::printf("    written: %s\n", name.get<std::string>().c_str());
  }
}

int run(const Options& options) {
  auto config = secprov::kube::load_kubeconfig(options.kubeconfig);
  secprov::kube::ClientOptions client_options;
  client_options.qps = 100000;  // the harness itself is never the limit
  client_options.burst = 100000;
  client_options.user_agent = "secprov-bench";
  const auto client = Client::connect(config, client_options);
  std::filesystem::create_directories(options.work_dir);

  // Created first: the control plane's own controllers write into a new namespace
  // (ServiceAccount, root CA ConfigMap), which must not count as the operator's writes.
  const std::string ns = "bench";
  client->create(resources::namespaces(), "", namespace_object(ns));
  if (!options.no_rotation) {
    // The trust-domain change's control group (measure_trust_domain_change).
    client->create(resources::namespaces(), "", namespace_object("bench-other"));
  }
  std::cout << "==> floor: " << 2 * options.profiles << " objects by a bare client\n" << std::flush;
  const auto floor = measure_floor(*client, options);
  const int probe_port = secprov::testing::free_loopback_port();
  std::vector<std::string> argv = {options.operator_binary,
                                   "--kubeconfig",
                                   options.kubeconfig,
                                   "--namespace",
                                   options.operator_namespace,
                                   "--identity",
                                   "bench",
                                   "--probe-address",
                                   "127.0.0.1",
                                   "--probe-port",
                                   std::to_string(probe_port),
                                   "--webhook-port",
                                   "0"};
  argv.insert(argv.end(), options.operator_args.begin(), options.operator_args.end());
  const auto log = std::filesystem::path(options.work_dir) / "operator.log";
  secprov::testing::ChildProcess operator_process(argv, log);
  ReadyWatcher watcher(client, ns);
  // The CA is generated before the clock starts: one key, not the per-profile cost.
  const auto domain_start = Clock::now();
  while (!is_ready(client->get(resources::trust_domains(), "", options.trust_domain))) {
    if (seconds_since(domain_start) > 120) {
      throw std::runtime_error("TrustDomain " + options.trust_domain +
                               " not Ready after 120 s; operator log: " + log.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  const auto metrics = secprov::kube::make_http_transport(
      "http://127.0.0.1:" + std::to_string(probe_port), {}, std::chrono::seconds(30));
  const auto passes_before = scrape_operator(*metrics);
  const auto writes_before = scrape_writes(options);
  const auto usage_before = usage_of(operator_process.pid());
  const auto cpu_before = usage_before.cpu_seconds;
  const auto machine_before = cpu_sample(options.controlplane_pid);
  std::cout << "==> " << options.profiles << " SecurityProfiles (" << options.key_algorithm << ")\n"
            << std::flush;
  std::vector<Clock::time_point> created(options.profiles);
  const auto start = Clock::now();
  parallel_for(options.profiles, options.concurrency, [&](int i) {
    created[i] = Clock::now();
    client->create(resources::security_profiles(), ns,
                   profile_object(options, ns, i, options.trust_domain));
  });
  const auto timeout =
      std::chrono::seconds(options.ready_timeout_seconds > 0 ? options.ready_timeout_seconds
                                                             : 120 + options.profiles / 10);
  const auto ready_count = watcher.wait_for(options.profiles, timeout);
  const double all_ready = seconds_since(start);
  if (ready_count < static_cast<std::size_t>(options.profiles)) {
    std::cerr << "only " << ready_count << " of " << options.profiles << " Ready after "
              << timeout.count() << " s; operator log: " << log << "\n";
    return 1;
  }
  const auto usage_ready = usage_of(operator_process.pid());
  const auto machine_ready = cpu_sample(options.controlplane_pid);
  // Passes to all Ready. Some may still be queued: they show in the drift window.
  const auto passes_at_ready = scrape_operator(*metrics);
  const auto passes = minus(passes_at_ready, passes_before);
  // The harness's own writes: one POST per profile and the namespace.
  auto writes = minus(scrape_writes(options), writes_before);
  writes["POST securityprofiles"] -= options.profiles;
  std::erase_if(writes, [](const auto& entry) { return entry.second <= 0.5; });

  std::vector<double> latencies;
  const auto ready = watcher.ready();
  for (int i = 0; i < options.profiles; ++i) {
    latencies.push_back(
        std::chrono::duration<double>(ready.at(profile_name(i)) - created[i]).count());
  }

  // Before the drift repairs edit profile 0's Secret.
  const auto operator_requests = operator_requests_of(*client, ns);

  std::cout << "==> drift repair (" << options.drift_samples << " samples)\n" << std::flush;
  std::vector<double> repairs;
  int unrepaired = 0;
  // The operator's counters at each edit: what happened from one edit to the next (the
  // repair's passes, their echoes, work left over) and how long keys waited in the queue.
  std::vector<MetricCounts> at_edit = {passes_at_ready};
  for (int i = 0; i < std::min(options.drift_samples, options.profiles); ++i) {
    const auto index = i * options.profiles / std::max(1, options.drift_samples);
    if (i > 0) at_edit.push_back(scrape_operator(*metrics));
    if (const auto seconds = drift_repair(*client, ns, profile_name(index) + "-tls")) {
      repairs.push_back(*seconds);
    } else {
      ++unrepaired;
    }
  }
  at_edit.push_back(scrape_operator(*metrics));
  Json drift_windows = Json::array();
  for (std::size_t i = 1; i < at_edit.size(); ++i) {
    drift_windows.push_back(counts_json(minus(at_edit[i], at_edit[i - 1]), 0));
  }

  // The drift repairs' passes, and whatever was still queued at all Ready.
  const auto drift_passes = minus(at_edit.back(), passes_at_ready);

  // After the drift window (whose passes were just read) and before the steady state, which
  // still measures a quiet operator.
  Json trust_domain_change = {{"skipped", true}};
  if (!options.no_rotation) {
    trust_domain_change = measure_trust_domain_change(client, options, *metrics,
                                                      operator_process.pid(), watcher, log);
  }

  std::cout << "==> steady state (" << options.steady_seconds << " s)\n" << std::flush;
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the drift repairs' echoes settle
  const auto steady_writes_before = scrape_writes(options);
  const auto steady_cpu_before = usage_of(operator_process.pid()).cpu_seconds;
  std::this_thread::sleep_for(std::chrono::seconds(options.steady_seconds));
  const auto steady_writes = minus(scrape_writes(options), steady_writes_before);
  const auto usage_end = usage_of(operator_process.pid());
  operator_process.signal(SIGTERM);
  operator_process.wait_for(std::chrono::seconds(10));
  std::cout << "==> the same requests by a bare client\n" << std::flush;
  const auto same_requests = measure_same_requests(*client, options, operator_requests);
  client->remove(resources::namespaces(), "", "bench-floor");
  client->remove(resources::namespaces(), "", "bench-requests");
  // The control group stays: its TrustDomain and profiles go with the control plane.

  const double n = options.profiles;
  const double operator_cpu = usage_ready.cpu_seconds - cpu_before;
  const double floor_per_write = floor.seconds / floor.objects;
  const double floor_same_writes = floor_per_write * total(writes);
  double same_requests_seconds = 0;
  Json same_requests_json = Json::array();
  for (const auto& kind : same_requests) {
    same_requests_seconds += kind.seconds;
    same_requests_json.push_back({{"request", kind.name},
                                  {"seconds", kind.seconds},
                                  {"controlplane_cpu_seconds", kind.controlplane_cpu_seconds}});
  }
  Json result = {
      {"profiles", options.profiles},
      {"key_algorithm", options.key_algorithm},
      {"operator_args", options.operator_args},
      {"floor", {{"objects", floor.objects}, {"seconds", floor.seconds}}},
      {"all_ready_seconds", all_ready},
      {"cpu_to_all_ready", cpu_split(machine_before, machine_ready, operator_cpu)},
      {"latency_seconds",
       {{"p50", percentile(latencies, 50)},
        {"p90", percentile(latencies, 90)},
        {"p99", percentile(latencies, 99)}}},
      {"writes_total", total(writes)},
      {"writes_per_profile", counts_json(writes, n)},
      {"operator_cpu_seconds", operator_cpu},
      {"operator_cpu_ms_per_profile", 1000 * operator_cpu / n},
      {"operator_context_switches_per_profile",
       (usage_ready.context_switches - usage_before.context_switches) / n},
      {"passes_per_profile", counts_json(passes, n)},
      {"passes_in_drift_window", counts_json(drift_passes, 0)},
      {"operator_peak_rss_mib", usage_end.peak_rss_mib},
      // The goal's figure: the most the operator held until all N were Ready (VmHWM then),
      // before the drift samples and the rotation add their own.
      {"operator_peak_rss_mib_at_ready", usage_ready.peak_rss_mib},
      {"operator_rss_mib_at_ready", usage_ready.rss_mib},
      {"operator_rss_mib_at_end", usage_end.rss_mib},
      {"drift_repair_seconds",
       {{"p50", percentile(repairs, 50)},
        {"p99", percentile(repairs, 99)},
        {"samples", repairs.size()},
        {"in_order", repairs},  // to see whether a slow one is the first (work left over)
        // per sample, from its edit to the next: passes and seconds queued/reconciling
        {"windows", drift_windows},
        {"unrepaired", unrepaired}}},
      {"trust_domain_change", trust_domain_change},
      {"steady_state",
       {{"seconds", options.steady_seconds},
        {"writes", counts_json(steady_writes, 0)},
        {"writes_total", total(steady_writes)},
        {"operator_cpu_seconds", usage_end.cpu_seconds - steady_cpu_before}}},
      {"ratios",
       {{"floor_seconds_for_the_same_writes", floor_same_writes},
        {"all_ready_to_floor", floor_same_writes > 0 ? all_ready / floor_same_writes : 0},
        {"same_requests_seconds", same_requests_seconds},
        {"all_ready_to_same_requests",
         same_requests_seconds > 0 ? all_ready / same_requests_seconds : 0}}},
      {"same_requests", same_requests_json},
  };

  std::printf("\n%-44s %s\n", "secprov benchmark",
              ("N = " + std::to_string(options.profiles)).c_str());
  std::printf("%-44s %.2f s (%d objects)\n", "bare-client floor", floor.seconds, floor.objects);
  std::printf("%-44s %.2f s\n", "all Ready", all_ready);
  std::printf("%-44s %.3f / %.3f / %.3f s\n", "latency per profile p50 / p90 / p99",
              percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99));
  std::printf("%-44s %.2f\n", "writes per profile", total(writes) / n);
  for (const auto& [key, value] : writes) std::printf("    %-40s %.2f\n", key.c_str(), value / n);
  std::printf("%-44s %.2f s (%.2f ms per profile)\n", "operator CPU to all Ready", operator_cpu,
              1000 * operator_cpu / n);
  print_cpu_split("machine CPU to all Ready", result.at("cpu_to_all_ready"));
  // Both sides serve the same requests, so a slower machine slows both: two binaries compare
  // better by this ratio than by either time when the machine's speed moves between runs.
  if (const double controlplane =
          result.at("cpu_to_all_ready").value("controlplane_cpu_seconds", 0.0);
      controlplane > 0) {
    std::printf("%-44s %.3f\n", "operator CPU / control plane CPU", operator_cpu / controlplane);
  }
  std::printf("%-44s %.0f per profile\n", "operator context switches to all Ready",
              (usage_ready.context_switches - usage_before.context_switches) / n);
  std::printf("%-44s\n", "passes per profile to all Ready (/metrics)");
  for (const auto& [key, value] : passes) std::printf("    %-40s %.2f\n", key.c_str(), value / n);
  std::printf("%-44s\n", "passes in the drift window (all of them)");
  for (const auto& [key, value] : drift_passes) {
    std::printf("    %-40s %.2f\n", key.c_str(), value);
  }
  std::printf("%-44s %.1f MiB (%.1f MiB then)\n", "operator peak RSS to all Ready",
              usage_ready.peak_rss_mib, usage_ready.rss_mib);
  std::printf("%-44s %.1f MiB (%.1f MiB at the end)\n", "operator peak RSS", usage_end.peak_rss_mib,
              usage_end.rss_mib);
  std::printf("%-44s %.1f / %.1f ms (%zu samples, %d unrepaired)\n", "drift repair p50 / p99",
              1000 * percentile(repairs, 50), 1000 * percentile(repairs, 99), repairs.size(),
              unrepaired);
  print_trust_domain_change(trust_domain_change, n);
  std::printf("%-44s %.0f writes, %.2f s CPU in %d s\n", "steady state", total(steady_writes),
              usage_end.cpu_seconds - steady_cpu_before, options.steady_seconds);
  std::printf("%-44s %.2f s -> all Ready / floor = %.2f\n", "floor for the same writes",
              floor_same_writes, floor_same_writes > 0 ? all_ready / floor_same_writes : 0.0);
  std::printf("%-44s %.2f s -> all Ready / that = %.2f\n", "the same requests by a bare client",
              same_requests_seconds,
              same_requests_seconds > 0 ? all_ready / same_requests_seconds : 0.0);
  for (const auto& kind : same_requests) {
    std::printf("    %-40s %.2f s, control plane %.2f ms CPU each\n", kind.name.c_str(),
                kind.seconds, 1000 * kind.controlplane_cpu_seconds / n);
  }

  const auto json_path = options.json_out.empty()
                             ? std::filesystem::path(options.work_dir) /
                                   ("result-" + std::to_string(options.profiles) + ".json")
                             : std::filesystem::path(options.json_out);
  std::ofstream(json_path) << result.dump(2) << "\n";
  std::cout << "\nJSON: " << json_path.string() << "\n";
  if (!trust_domain_change.value("skipped", false) && !trust_domain_change.value("ok", false)) {
    std::cerr << "the trust-domain change did not complete as it should (see trust_domain_change "
                 "in the JSON); operator log: "
              << log << "\n";
    return 1;
  }
  return unrepaired == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"secprov benchmark against a running control plane (scripts/bench.sh runs it)"};
  app.add_option("-n,--profiles", options.profiles, "SecurityProfiles to create")
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", options.concurrency, "concurrent client requests")
      ->check(CLI::PositiveNumber);
  app.add_option("--drift-samples", options.drift_samples, "drift repairs to time");
  app.add_option("--steady-seconds", options.steady_seconds, "steady-state window")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ready-timeout", options.ready_timeout_seconds, "seconds (0: from N)");
  app.add_flag("--no-rotation", options.no_rotation,
               "skip the trust-domain change (CA rotation) phase");
  app.add_option("--rotation-timeout", options.rotation_timeout_seconds,
                 "seconds for the CA rotation to complete (0: 120 s + 1 s per 5 profiles)");
  app.add_option("--kubeconfig", options.kubeconfig, "admin kubeconfig")->required();
  app.add_option("--kubectl", options.kubectl, "kubectl binary (for /metrics)");
  app.add_option("--operator", options.operator_binary, "secprov-operator binary")->required();
  app.add_option("--operator-namespace", options.operator_namespace, "existing namespace");
  app.add_option("--trust-domain", options.trust_domain, "existing TrustDomain");
  app.add_option("--key-algorithm", options.key_algorithm, "ECDSA-P256, RSA-3072, ...");
  app.add_option("--operator-arg", options.operator_args, "extra operator flag (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--work-dir", options.work_dir, "operator log and JSON result");
  app.add_option("--controlplane-pid", options.controlplane_pid,
                 "the control plane's process, for its CPU (0: not reported)");
  app.add_option("--json", options.json_out, "JSON result path");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::cerr << "secprov-bench: " << error.what() << "\n";
    return 2;
  }
}
