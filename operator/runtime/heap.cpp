#include "runtime/heap.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace secprov::runtime {

bool HeapReleasePolicy::due(Clock::time_point now, std::uint64_t passes) {
  if (!last_pass_seen_at_ || passes != seen_passes_) {
    seen_passes_ = passes;
    last_pass_seen_at_ = now;
    return false;  // still busy (or the first reading): quiet is measured from here
  }
  if (passes - passes_at_release_ < options_.min_passes) return false;
  if (now - *last_pass_seen_at_ < options_.quiet) return false;
  if (released_at_ && now - *released_at_ < options_.min_interval) return false;
  passes_at_release_ = passes;
  released_at_ = now;
  return true;
}

std::optional<std::uint64_t> resident_anonymous_bytes() {
  std::ifstream status("/proc/self/status");
  std::string field;
  while (status >> field) {
    if (field == "RssAnon:") {
      std::uint64_t kib = 0;
      if (status >> kib) return kib * 1024;
      return std::nullopt;
    }
    status.ignore(4096, '\n');
  }
  return std::nullopt;
}

bool release_free_heap() {
#if defined(__GLIBC__)
  return malloc_trim(0) == 1;
#else
  return false;
#endif
}

void run_heap_release(const std::stop_token& stop, const Clock& clock, HeapReleaseOptions options,
                      const std::function<std::uint64_t()>& passes) {
  HeapReleasePolicy policy(options);
  while (clock.sleep_for(stop, options.check_interval)) {
    const auto total = passes();
    if (!policy.due(clock.now(), total)) continue;
    const auto before = resident_anonymous_bytes();
    const bool released = release_free_heap();
    const auto after = resident_anonymous_bytes();
    if (!released || !before || !after) continue;
    constexpr double kMiB = 1024.0 * 1024.0;
    spdlog::info("returned freed heap to the system after {} passes: resident {:.1f} -> {:.1f} MiB",
                 total, static_cast<double>(*before) / kMiB, static_cast<double>(*after) / kMiB);
  }
}

}  // namespace secprov::runtime
