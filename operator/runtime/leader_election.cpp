#include "runtime/leader_election.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>

#include "kube/errors.h"
#include "kube/resource.h"

namespace secprov::runtime {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

std::string string_at(const Json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

int int_at(const Json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

const Json& spec_of(const Json& lease) {
  static const Json empty = Json::object();  // immutable
  const auto it = lease.find("spec");
  return it != lease.end() && it->is_object() ? *it : empty;
}

int whole_seconds(milliseconds d) {
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<int>(s < 1 ? 1 : s);
}

}  // namespace

LeaderElector::LeaderElector(std::shared_ptr<kube::Client> client, LeaderElectionConfig config,
                             LeaderCallbacks callbacks,
                             std::shared_ptr<prometheus::Registry> registry,
                             std::shared_ptr<const Clock> clock)
    : client_(std::move(client)),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      clock_(clock ? std::move(clock) : system_clock()),
      random_(std::random_device{}()) {
  if (!client_) throw std::invalid_argument("leader election: null client");
  if (config_.identity.empty() || config_.name.empty() || config_.ns.empty()) {
    throw std::invalid_argument("leader election: identity, name and namespace are required");
  }
  if (config_.retry_period <= milliseconds::zero() ||
      config_.renew_deadline * 10 <= config_.retry_period * 12 ||
      config_.lease_duration <= config_.renew_deadline) {
    throw std::invalid_argument(
        "leader election: need lease_duration > renew_deadline > 1.2 * retry_period > 0");
  }
  if (client_->options().request_timeout >= config_.renew_deadline) {
    // A renew that hangs until the request timeout could outlive the lease.
    spdlog::warn(
        "leader election {}/{}: the client's request timeout ({} ms) is not below the renew "
        "deadline ({} ms); use a client with a shorter timeout for leader election",
        config_.ns, config_.name, client_->options().request_timeout.count(),
        config_.renew_deadline.count());
  }
  if (registry) {
    status_metric_ = &prometheus::BuildGauge()
                          .Name("leader_election_master_status")
                          .Help("1 while this process holds the lease, else 0")
                          .Register(*registry)
                          .Add({{"name", config_.name}});
    status_metric_->Set(0);
  }
}

LeaderElector::Record LeaderElector::parse_record(const Json& lease) {
  const Json& spec = spec_of(lease);
  return Record{string_at(spec, "holderIdentity"), int_at(spec, "leaseDurationSeconds"),
                string_at(spec, "acquireTime"), string_at(spec, "renewTime"),
                int_at(spec, "leaseTransitions")};
}

Json LeaderElector::lease_object(const Record& record) const {
  Json spec = Json::object();
  spec["holderIdentity"] = record.holder;
  spec["leaseDurationSeconds"] = record.lease_duration_seconds;
  if (!record.acquire_time.empty()) spec["acquireTime"] = record.acquire_time;
  if (!record.renew_time.empty()) spec["renewTime"] = record.renew_time;
  spec["leaseTransitions"] = record.transitions;
  return Json{{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
              {"spec", std::move(spec)}};
}

void LeaderElector::observe(const Json& lease, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  // Expiry counts from when this process first saw the current record, as client-go does.
  if (!observed_lease_ || spec_of(*observed_lease_) != spec_of(lease)) observed_time_ = now;
  observed_lease_ = lease;
  observed_record_ = parse_record(lease);
}

void LeaderElector::set_leader(bool leader) {
  leader_.store(leader);
  if (status_metric_) status_metric_->Set(leader ? 1 : 0);
}

std::string LeaderElector::observed_holder() const {
  const std::lock_guard lock(mutex_);
  return observed_record_.holder;
}

bool LeaderElector::lost_to_other() const {
  const std::lock_guard lock(mutex_);
  return !observed_record_.holder.empty() && observed_record_.holder != config_.identity;
}

bool LeaderElector::try_acquire_or_renew() {
  const auto leases = kube::resources::leases();
  const auto now = clock_->now();
  const auto wall = format_micro_time(clock_->wall_now());
  const int duration_seconds = whole_seconds(config_.lease_duration);

  Json current;
  try {
    current = client_->get(leases, config_.ns, config_.name);
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) {
      spdlog::warn("leader election {}/{}: cannot read lease ({}): {}", config_.ns, config_.name,
                   kube::to_string(e.kind()), e.what());
      return false;
    }
    try {
      const Json created =
          client_->create(leases, config_.ns,
                          lease_object(Record{config_.identity, duration_seconds, wall, wall, 0}));
      observe(created, now);
      spdlog::info("leader election {}/{}: created lease, leading as {}", config_.ns, config_.name,
                   config_.identity);
      set_leader(true);
      return true;
    } catch (const kube::ApiError& create_error) {
      // AlreadyExists: another candidate created it first; the next attempt reads it.
      spdlog::info("leader election {}/{}: cannot create lease ({}): {}", config_.ns, config_.name,
                   kube::to_string(create_error.kind()), create_error.what());
      return false;
    }
  } catch (const std::exception& e) {
    spdlog::warn("leader election {}/{}: cannot read lease: {}", config_.ns, config_.name,
                 e.what());
    return false;
  }

  observe(current, now);
  Record next;
  {
    const std::lock_guard lock(mutex_);
    const Record& old = observed_record_;
    const auto valid_for =
        old.lease_duration_seconds > 0
            ? std::chrono::seconds(old.lease_duration_seconds)
            : std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration);
    const bool ours = old.holder == config_.identity;
    if (!old.holder.empty() && !ours && now < observed_time_ + valid_for) {
      return false;  // held by someone else and not expired as far as we have seen
    }
    next = Record{config_.identity, duration_seconds, ours ? old.acquire_time : wall, wall,
                  ours ? old.transitions : old.transitions + 1};
    if (next.acquire_time.empty()) next.acquire_time = wall;
  }

  Json updated = current;
  updated["spec"] = lease_object(next)["spec"];
  try {
    const Json written = client_->update(leases, config_.ns, updated);
    observe(written, now);
    if (!is_leader()) {
      spdlog::info("leader election {}/{}: acquired lease as {}", config_.ns, config_.name,
                   config_.identity);
    }
    set_leader(true);
    return true;
  } catch (const kube::ApiError& e) {
    // Conflict: someone else wrote the lease since we read it; re-read next time.
    spdlog::info("leader election {}/{}: cannot update lease ({}): {}", config_.ns, config_.name,
                 kube::to_string(e.kind()), e.what());
  } catch (const std::exception& e) {
    spdlog::warn("leader election {}/{}: cannot update lease: {}", config_.ns, config_.name,
                 e.what());
  }
  return false;
}

bool LeaderElector::release() {
  Json lease;
  {
    const std::lock_guard lock(mutex_);
    if (!observed_lease_ || observed_record_.holder != config_.identity) return false;
    const std::string wall = format_micro_time(clock_->wall_now());
    lease = *observed_lease_;
    lease["spec"] = lease_object(Record{"", 1, wall, wall, observed_record_.transitions})["spec"];
  }
  try {
    const Json written = client_->update(kube::resources::leases(), config_.ns, lease);
    observe(written, clock_->now());
    set_leader(false);
    spdlog::info("leader election {}/{}: released lease", config_.ns, config_.name);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("leader election {}/{}: cannot release lease: {}", config_.ns, config_.name,
                 e.what());
    set_leader(false);
    return false;
  }
}

void LeaderElector::report_new_leader() {
  const std::string holder = observed_holder();
  if (holder.empty() || holder == reported_leader_) return;
  reported_leader_ = holder;
  spdlog::info("leader election {}/{}: leader is {}", config_.ns, config_.name, holder);
  if (!callbacks_.on_new_leader) return;
  try {
    callbacks_.on_new_leader(holder);
  } catch (const std::exception& e) {
    spdlog::error("leader election: on_new_leader threw: {}", e.what());
  }
}

milliseconds LeaderElector::jittered_retry() {
  std::uniform_real_distribution<double> jitter(0.0, 0.2);
  const auto extra = static_cast<double>(config_.retry_period.count()) * jitter(random_);
  return config_.retry_period + milliseconds(static_cast<milliseconds::rep>(extra));
}

void LeaderElector::run(std::stop_token stop) {
  // Acquire.
  for (;;) {
    if (stop.stop_requested()) return;
    const bool acquired = try_acquire_or_renew();
    report_new_leader();
    if (acquired) break;
    if (!clock_->sleep_for(stop, jittered_retry())) return;
  }

  // Lead: run the callback in its own thread and renew until it ends or the lease is lost.
  std::mutex mutex;
  std::condition_variable_any cv;
  bool leading_done = false;
  std::jthread leading([&](std::stop_token leading_stop) {
    try {
      if (callbacks_.on_started_leading) callbacks_.on_started_leading(std::move(leading_stop));
    } catch (const std::exception& e) {
      spdlog::error("leader election: on_started_leading threw: {}", e.what());
    } catch (...) {
      spdlog::error("leader election: on_started_leading threw");
    }
    {
      const std::lock_guard lock(mutex);
      leading_done = true;
    }
    cv.notify_all();
  });

  auto last_renew = clock_->now();
  bool forwarded_stop = false;
  bool lost = false;
  for (;;) {
    {
      std::unique_lock lock(mutex);
      // Once stop is forwarded, keep waiting the retry period regardless of `stop`.
      clock_->wait_until(lock, cv, forwarded_stop ? std::stop_token{} : stop,
                         Clock::after(clock_->now(), config_.retry_period),
                         [&] { return leading_done; });
      if (leading_done) break;
    }
    if (!forwarded_stop && stop.stop_requested()) {
      // Keep renewing while the leading work drains, so nobody else starts meanwhile.
      forwarded_stop = true;
      leading.request_stop();
      continue;
    }
    if (try_acquire_or_renew()) {
      last_renew = clock_->now();
    } else if (lost_to_other() || clock_->now() - last_renew >= config_.renew_deadline) {
      lost = true;
      break;
    }
    report_new_leader();
  }

  set_leader(false);
  if (lost) {
    if (lost_to_other()) {
      spdlog::error("leader election {}/{}: lease taken over by {}", config_.ns, config_.name,
                    observed_holder());
    } else {
      spdlog::error("leader election {}/{}: could not renew the lease for {} ms, giving up",
                    config_.ns, config_.name, config_.renew_deadline.count());
    }
    leading.request_stop();
    if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
    report_new_leader();
    return;  // the jthread joins the leading work
  }
  leading.request_stop();
  leading.join();
  if (config_.release_on_cancel) release();
  if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

}  // namespace secprov::runtime
