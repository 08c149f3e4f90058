// What `sockspec run`'s command line said, word for word: the command file binds its options here and the
// application layer (run_plan.h) checks them. Nothing here is validated yet.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace sockspec::app {

struct RunOptions {
  std::vector<std::string> paths;  // scenario files or folders; none: the default suite
  std::string suite;               // "", "default", or a service suite's name
  std::string filter;              // a glob over check ids
  long long jobs = 0;              // scenarios at once; 0: twice the cores (signed, so that -1 is seen and refused)
  std::vector<std::string> reports;  // each "FORMAT" or "FORMAT=PATH"
  std::string out;                 // --out PATH, for a single --report FORMAT
  std::string isolation;           // "": not given (auto for scenarios; a service suite takes none)
  int timeoutMs = 30'000;          // a scenario job's deadline
  std::string color = "auto";
  bool list = false;
  std::string capture;             // --capture DIR
  std::string user;                // --user NAME
  std::string target;              // --target URL
  std::string targetCommand;       // --target-cmd CMD
  bool keepTarget = false;         // --keep-target: one server for the whole run, not one per check
  int checkTimeoutMs = 5000;       // a service check's deadline

  // The server profile (--suite server): one request and what its reply must match (one of the three).
  std::string request;             // --request, with the scenario language's escapes
  std::string reply;               // --reply REGEX (RE2)
  std::string replyPrefix;         // --reply-prefix TEXT (escapes as --request)
  std::string replyExact;          // --reply-exact TEXT (escapes as --request)

  // The options named on the command line ("--jobs", "--timeout"), so that one given with its default value
  // is still refused where it does not apply.
  std::set<std::string> given;
  bool isGiven(const std::string& option) const { return given.count(option) != 0; }
};

}  // namespace sockspec::app
