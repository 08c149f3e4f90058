// The processes below a process, read from /proc: what the server under test really is once it has forked,
// daemonized (`setsid -f`, a double fork) or wrapped itself in a shell. Used to stop all of them, to know
// that the socket a check reaches is theirs, and to count their descriptors and memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec::process {

// The parent pid in a /proc/PID/stat text ("pid (comm) state ppid ...", where comm may itself hold spaces
// and parentheses: the fields are counted from the last ')'); nullopt when malformed.
std::optional<pid_t> parentPidOfStat(std::string_view stat);

// Every descendant of `root` (children, their children, ...), not `root` itself, in no particular order.
// A process that exits while /proc is read may be missing; one never appears twice.
std::vector<pid_t> descendantsOf(pid_t root);

// The direct children of `pid` (/proc/PID/task/PID/children, proc(5)): cheap, where descendantsOf reads all
// of /proc. Empty when unreadable.
std::vector<pid_t> childrenOf(pid_t pid);

// Whether a /proc/PID/stat text says the process has begun to exit: PF_EXITING (0x4, include/linux/sched.h)
// in its flags, the ninth field, or state Z or X. False when malformed.
bool statSaysExiting(std::string_view stat);

// The same of the process now; a process that is gone is exiting too.
bool isExiting(pid_t pid);

// The socket inodes among a process's open descriptors ("socket:[12345]" links in /proc/PID/fd).
std::vector<std::uint64_t> socketInodesOf(pid_t pid);

// The process with `inode` among its descriptors, searched in all of /proc (the first found), and its
// command name: for "tcp://127.0.0.1:4242 is served by pid 812 (nc), not by the started command".
struct SocketOwner {
  pid_t pid = -1;
  std::string name;  // /proc/PID/comm
};
std::optional<SocketOwner> findSocketOwner(std::uint64_t inode);

}  // namespace sockspec::process
