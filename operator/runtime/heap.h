#pragma once
// Giving freed heap back to the operating system after a burst of work.
//
// glibc keeps the pages a burst freed: a thread arena's free chunks sit among live ones, so
// the heap's top cannot shrink, and only malloc_trim returns them. After a CA rotation at
// 10,000 profiles the operator held 126 MB of heap with 41 MB in use (139 MiB resident, 81
// after one trim). Go's runtime, which controller-runtime operators run on, returns such
// memory by itself (its scavenger); this is the operator's equivalent: once the controllers
// have been quiet for a while after a burst, it trims once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>

#include "runtime/clock.h"

namespace secprov::runtime {

struct HeapReleaseOptions {
  // How often the controllers' pass count is read.
  std::chrono::seconds check_interval{5};
  // No pass for this long: the burst is over.
  std::chrono::seconds quiet{10};
  // At least this long between two releases, so a steady trickle of passes costs nothing.
  std::chrono::seconds min_interval{60};
  // Passes since the last release that make one worth it (a handful of passes frees little).
  std::uint64_t min_passes = 100;
};

// Pure: decides from the controllers' total pass count, read at each check, whether to
// release now.
class HeapReleasePolicy {
 public:
  explicit HeapReleasePolicy(HeapReleaseOptions options) : options_(options) {}

  // True when a release is due now; the policy then counts it as done.
  bool due(Clock::time_point now, std::uint64_t passes);

 private:
  const HeapReleaseOptions options_;
  std::uint64_t seen_passes_ = 0;
  std::optional<Clock::time_point> last_pass_seen_at_;
  std::uint64_t passes_at_release_ = 0;
  std::optional<Clock::time_point> released_at_;
};

// The process's resident anonymous memory (RssAnon of /proc/self/status), in bytes; nullopt
// where it cannot be read.
std::optional<std::uint64_t> resident_anonymous_bytes();

// Returns the heap's free pages to the operating system (glibc's malloc_trim(0), which walks
// every arena). False where there is nothing to return or the C library has no such call.
bool release_free_heap();

// Until `stop`: every check_interval reads `passes` (the controllers' total) and, when the
// policy says so, releases the free heap and logs the resident memory before and after.
void run_heap_release(const std::stop_token& stop, const Clock& clock, HeapReleaseOptions options,
                      const std::function<std::uint64_t()>& passes);

}  // namespace secprov::runtime
