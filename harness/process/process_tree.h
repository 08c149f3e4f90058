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
