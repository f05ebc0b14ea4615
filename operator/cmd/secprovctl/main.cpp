// secprovctl: validation, consistency checks, rendering and drift of secprov manifests,
// without a cluster (diff runs kubectl). The verbs live in secprovctl_lib (cli.h).
#include <iostream>
#include <string>
#include <vector>

#include "cmd/secprovctl/cli.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return secprov::ctl::run(args, std::cout, std::cerr);
}
