// blackbox/sanitizer_report.h: the report a crashed server printed, found in the tail of its output. The
// reports below are as compiler-rt's sanitizers print them (a real one was taken from
// sockspec-test-fuzz-victim-asan; tests/cli/fuzz_any_test.cpp finds it end to end).
#include <catch2/catch.hpp>
#include <string>

#include "blackbox/sanitizer_report.h"

using sockspec::blackbox::findSanitizerReport;
using sockspec::blackbox::kMaxReportBytes;
using sockspec::blackbox::kMaxSummaryBytes;

namespace {

const std::string kAsanReport =
    "=================================================================\n"
    "==4242==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000018 at pc 0x55d0c1a2b3c4 bp "
    "0x7ffc1 sp 0x7ffc2\n"
    "READ of size 1 at 0x602000000018 thread T0\n"
    "    #0 0x55d0c1a2b3c3 in readPastHeapBlock /work/main/tests/support/fuzz_victim_server.cpp:96:7\n"
    "    #1 0x7f0011223344 in __libc_start_call_main (/lib/x86_64-linux-gnu/libc.so.6+0x271ca)\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /work/main/tests/support/fuzz_victim_server.cpp:96:7 in "
    "readPastHeapBlock\n"
    "Shadow bytes around the buggy address:\n"
    "==4242==ABORTING\n";

}  // namespace

TEST_CASE("an AddressSanitizer report: its SUMMARY line, a key without directories or addresses, its text",
          "[unit][sanitizer]") {
  auto report = findSanitizerReport("listening on 127.0.0.1:4000\n" + kAsanReport);
  REQUIRE(report);
  CHECK(report->summary ==
        "AddressSanitizer: heap-buffer-overflow /work/main/tests/support/fuzz_victim_server.cpp:96:7 in "
        "readPastHeapBlock");
  CHECK(report->key == "AddressSanitizer: heap-buffer-overflow fuzz_victim_server.cpp:96:7 in readPastHeapBlock");
  // From the first line to the SUMMARY line: not the server's own lines before, not the shadow map after.
  CHECK(report->text.rfind("==4242==ERROR: AddressSanitizer: heap-buffer-overflow", 0) == 0);
  CHECK(report->text.find("SUMMARY: AddressSanitizer") != std::string::npos);
  CHECK(report->text.find("listening") == std::string::npos);
  CHECK(report->text.find("Shadow bytes") == std::string::npos);
}

TEST_CASE("the same crash in another checkout and at other addresses has the same key; another place does not",
          "[unit][sanitizer]") {
  std::string moved = kAsanReport;
  for (auto at = moved.find("/work/main/"); at != std::string::npos; at = moved.find("/work/main/")) {
    moved.replace(at, 11, "/tmp/ci-Ab12/main/");
  }
  for (auto at = moved.find("4242"); at != std::string::npos; at = moved.find("4242")) moved.replace(at, 4, "777");
  CHECK(findSanitizerReport(moved)->key == findSanitizerReport(kAsanReport)->key);
  std::string elsewhere = kAsanReport;
  elsewhere.replace(elsewhere.find("cpp:96:7 in"), 11, "cpp:120:3 in");
  CHECK(findSanitizerReport(elsewhere)->key != findSanitizerReport(kAsanReport)->key);
}

TEST_CASE("the last of several reports is the one", "[unit][sanitizer]") {
  std::string leak =
      "==9==ERROR: LeakSanitizer: detected memory leaks\n"
      "Direct leak of 8 byte(s) in 1 object(s) allocated from:\n"
      "SUMMARY: AddressSanitizer: 8 byte(s) leaked in 1 allocation(s).\n";
  auto report = findSanitizerReport(kAsanReport + leak);
  REQUIRE(report);
  CHECK(report->summary == "AddressSanitizer: 8 byte(s) leaked in 1 allocation(s).");
  CHECK(report->text.rfind("==9==ERROR: LeakSanitizer", 0) == 0);
}

TEST_CASE("UBSan's runtime error: its place is the key, not the values", "[unit][sanitizer]") {
  auto one = findSanitizerReport(
      "/src/server.c:41:12: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented in type "
      "'int'\n");
  auto two = findSanitizerReport(
      "/src/server.c:41:12: runtime error: signed integer overflow: 2147483600 + 99 cannot be represented in type "
      "'int'\n");
  REQUIRE(one);
  REQUIRE(two);
  CHECK(one->summary.rfind("/src/server.c:41:12: runtime error: signed integer overflow", 0) == 0);
  CHECK(one->key == "server.c:41:12: runtime error");
  CHECK(one->key == two->key);
  // With a SUMMARY line (UBSAN_OPTIONS print_summary, the default), that line.
  auto summarized = findSanitizerReport(
      "/src/server.c:41:12: runtime error: signed integer overflow: 1 + 2147483647\n"
      "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior /src/server.c:41:12 in \n");
  REQUIRE(summarized);
  CHECK(summarized->key == "UndefinedBehaviorSanitizer: undefined-behavior server.c:41:12 in ");
}

TEST_CASE("a report cut short: its first line, or its SUMMARY line alone", "[unit][sanitizer]") {
  auto headless = findSanitizerReport("    #7 0x55 in main x.c:9\nSUMMARY: AddressSanitizer: SEGV (/lib/libc.so.6+0x15d8a5) in memcpy\n");
  REQUIRE(headless);
  CHECK(headless->summary == "AddressSanitizer: SEGV (/lib/libc.so.6+0x15d8a5) in memcpy");
  CHECK(headless->key == "AddressSanitizer: SEGV (libc.so.6+0x?) in memcpy");
  auto tailless = findSanitizerReport("==5==ERROR: AddressSanitizer: stack-overflow on address 0x7ffe0000 (pc 0x1)\n    #0 0x1 in f");
  REQUIRE(tailless);
  CHECK(tailless->summary == "AddressSanitizer: stack-overflow on address 0x7ffe0000 (pc 0x1)");
  CHECK(tailless->key == "AddressSanitizer: stack-overflow on address 0x? (pc 0x?)");
  CHECK(tailless->text.find("#0 0x1 in f") != std::string::npos);
}

TEST_CASE("output without a report, or hostile output, gives nothing or a bounded printable report",
          "[unit][sanitizer]") {
  CHECK_FALSE(findSanitizerReport(""));
  CHECK_FALSE(findSanitizerReport("listening on 127.0.0.1:4000\nERROR: disk full\nSUMMARY: 3 requests\n"));
  // "SUMMARY: " not at a line's start, or without a sanitizer's name, is no report.
  CHECK_FALSE(findSanitizerReport("request SUMMARY: AddressSanitizer: x\n"));
  // Control bytes and non-ASCII in a report become '?'; a huge one is cut to the bounds.
  std::string hostile = "==1==ERROR: AddressSanitizer: \x1b[31m\xff" + std::string(100000, 'A') + "\n" +
                        std::string(100000, 'B') + "\n";
  auto report = findSanitizerReport(hostile);
  REQUIRE(report);
  CHECK(report->summary.size() == kMaxSummaryBytes);
  CHECK(report->text.size() == kMaxReportBytes);
  CHECK(report->summary.find('\x1b') == std::string::npos);
  CHECK(report->summary.rfind("AddressSanitizer: ?[31m?", 0) == 0);
  // A first line's mark with no newline anywhere, or at the very start.
  CHECK(findSanitizerReport("==1==ERROR: AddressSanitizer: SEGV")->summary == "AddressSanitizer: SEGV");
  CHECK(findSanitizerReport("SUMMARY: AddressSanitizer: SEGV")->summary == "AddressSanitizer: SEGV");
}
