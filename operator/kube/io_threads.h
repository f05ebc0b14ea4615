#pragma once

#include <cstddef>

namespace secprov::kube {

// Sizes the process's one pool of HTTP I/O threads, shared by every HTTP client and server of
// the process (cpprestsdk's; 40 threads unless set). Every continuation on it only moves data
// and never blocks, so a few threads serve the whole operator; each extra idle thread is one
// more to wake for a handful of bytes (issue 12: those wake-ups were 95 % of the operator's
// context switches). Call once, before any client or server exists; throws std::logic_error
// otherwise, or for 0.
void use_io_threads(std::size_t count);

}  // namespace secprov::kube
