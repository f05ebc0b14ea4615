#pragma once
// secprovctl's command line run in-process for the tests: the exit code, stdout and stderr.

#include <sstream>
#include <string>
#include <vector>

#include "cmd/secprovctl/cli.h"

namespace secprov::ctl {

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliRun cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace secprov::ctl
