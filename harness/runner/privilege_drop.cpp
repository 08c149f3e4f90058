#include "runner/privilege_drop.h"

#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <vector>

#include "base/sys_error.h"

namespace sockspec::runner {

namespace {

// The highest capability number this kernel knows; CAP_LAST_CAP of our headers when the file is unreadable
// (capabilities(7): /proc/sys/kernel/cap_last_cap, since Linux 3.2).
int lastCapability() {
  std::ifstream file("/proc/sys/kernel/cap_last_cap");
  int last = -1;
  if (file >> last && last >= 0 && last < 64) return last;
  return CAP_LAST_CAP;
}

// capget/capset without libcap: version 3 takes two 32-bit words per set (capget(2)).
bool readCapabilities(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capget, &header, data) == 0;
}

}  // namespace

Expected<RunAs, std::string> lookUpUser(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return Unexpected{fmt::format("user '{}': {}", name, SysError{rc, "getpwnam_r"}.describe())};
  if (found == nullptr) return Unexpected{fmt::format("no user '{}'", name)};
  return RunAs{name, entry.pw_uid, entry.pw_gid};
}

Expected<bool, std::string> dropPrivileges(const std::optional<RunAs>& user) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Unexpected{SysError{errno, "prctl(PR_SET_NO_NEW_PRIVS)"}.describe()};
  int last = lastCapability();
  for (int cap = 0; cap <= last; ++cap) {
    // EINVAL: a capability this kernel does not have; anything else (EPERM without CAP_SETPCAP) is a failure.
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Unexpected{
          fmt::format("{} (capability {})", SysError{errno, "prctl(PR_CAPBSET_DROP)"}.describe(), cap)};
    }
  }
  if (user) {
    // Groups first, while CAP_SETGID is still there; setuid() from 0 then clears the permitted set too
    // (capabilities(7), "Effect of user ID changes on capabilities").
    if (::setgroups(0, nullptr) != 0) return Unexpected{SysError{errno, "setgroups"}.describe()};
    if (::setgid(user->gid) != 0) return Unexpected{SysError{errno, "setgid"}.describe()};
    if (::setuid(user->uid) != 0) return Unexpected{SysError{errno, "setuid"}.describe()};
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct empty[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, empty) != 0) return Unexpected{SysError{errno, "capset"}.describe()};
  return true;
}

bool hasRawCaptureCapability() {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (!readCapabilities(data)) return false;
  return (data[CAP_TO_INDEX(CAP_NET_RAW)].effective & CAP_TO_MASK(CAP_NET_RAW)) != 0;
}

}  // namespace sockspec::runner
