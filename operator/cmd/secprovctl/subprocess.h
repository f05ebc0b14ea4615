#pragma once
// Runs a program and collects its output (secprovctl diff runs kubectl: the tool links no
// HTTP client).

#include <string>
#include <vector>

namespace secprov::ctl {

struct ProcessResult {
  int exit_code = -1;  // -1: could not be started or killed by a signal
  std::string out;
  std::string err;
};

// argv[0] is looked up in PATH when it has no '/'.
ProcessResult run_process(const std::vector<std::string>& argv);

}  // namespace secprov::ctl
