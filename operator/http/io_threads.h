#pragma once

#include <cstddef>

namespace secprov::http {

// Sizes the process's pool of HTTP server I/O threads, shared by the webhook, probe and metrics
// servers (cpprestsdk's; 40 threads unless set). The API client does not use it: its requests
// run on their callers' threads (kube/http1_transport.cpp). Every continuation on it only moves
// data and never blocks, so a few threads serve the whole operator; each extra idle thread is one
// more to wake for a handful of bytes (issue 12: those wake-ups were 95 % of the operator's
// context switches). Call once, before any client or server exists; throws std::logic_error
// otherwise, or for 0.
void use_io_threads(std::size_t count);

}  // namespace secprov::http
