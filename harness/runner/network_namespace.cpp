#include "runner/network_namespace.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/sys_error.h"
#include "net/unique_fd.h"

namespace sockspec::runner {

Expected<void, std::string> enterPrivateNetworkNamespace() {
  if (::unshare(CLONE_NEWNET) < 0) return Unexpected{SysError{errno, "unshare(CLONE_NEWNET)"}.describe()};
  net::UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!control) return Unexpected{SysError{errno, "socket"}.describe()};
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(control.get(), SIOCGIFFLAGS, &request) < 0) return Unexpected{SysError{errno, "SIOCGIFFLAGS lo"}.describe()};
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(control.get(), SIOCSIFFLAGS, &request) < 0) return Unexpected{SysError{errno, "SIOCSIFFLAGS lo"}.describe()};
  return {};
}

Expected<void, std::string> applySysctls(const std::vector<std::string>& settings) {
  for (const std::string& setting : settings) {
    auto equals = setting.find('=');
    std::string name = setting.substr(0, equals);
    std::string value = setting.substr(equals + 1) + "\n";
    std::string path = "/proc/sys/" + name;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    net::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!file) return Unexpected{fmt::format("sysctl {}: {}", name, SysError{errno, "open"}.describe())};
    if (::write(file.get(), value.data(), value.size()) < 0) {
      return Unexpected{fmt::format("sysctl {}: {}", name, SysError{errno, "write"}.describe())};
    }
  }
  return {};
}

}  // namespace sockspec::runner
