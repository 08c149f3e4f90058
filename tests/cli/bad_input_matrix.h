// The bad-input matrix of issue #13 as data: every option of every sockspec command, each with the kinds of
// bad value it must survive, and what each case must end with. bad_input_matrix_test.cpp runs the rows and
// checks them against each command's --help, so that a new option cannot be added without its rows.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sockspec::testing {

// What an option takes, which decides the kinds of bad value it needs rows for (requiredKinds()).
enum class OptionClass {
  Flag,     // no value: "value" (--flag=5)
  Number,   // empty, negative, huge, non-numeric, wrong-kind
  Text,     // the same five
  FileIn,   // the five, and missing, directory, fifo, device, symlink-loop
  FileOut,  // the same, and full-disk
};

struct MatrixOption {
  std::string command;  // "run"
  std::string option;   // "--jobs", or a positional's name ("paths")
  OptionClass kind;
};

// One invocation. In `args` and `expect` these are replaced:
//   {scn} a passing one-line scenario   {pcap} an empty pcap   {repro} a reproducer file
//   {new} a fresh name in a writable folder   {work} the row's working directory (relative paths land there)
//   {missing} a name in a folder that does not exist   {dir} a folder   {fifo} a FIFO   {device} a character
//   device (like /dev/null)   {loop} a symbolic link to itself   {full} a fresh name on a full tmpfs
//   {huge} 65,536 'x'   {refused} a tcp URL on loopback whose port refuses connections
//   {marker} a file name that the row's target command would create if it were started
//   {sidecar-fifo} {sidecar-dir} {sidecar-device} {sidecar-loop} a reproducer whose FILE.json sidecar is that
//   {looped} a folder holding a passing ok.scn and loop.scn, a symbolic link to itself
struct MatrixRow {
  MatrixRow(std::string command_, std::string option_, std::string kind_, std::vector<std::string> args_, int exit_,
            std::string expect_, bool diagnostics_ = false)
      : command(std::move(command_)), option(std::move(option_)), kind(std::move(kind_)), args(std::move(args_)),
        exit(exit_), expect(std::move(expect_)), diagnostics(diagnostics_) {}

  std::string command;
  std::string option;
  std::string kind;  // "empty", ..., "full-disk", "value" (a flag given one), or "mode" (a mode it does not fit)
  std::vector<std::string> args;  // after the command's name
  int exit = 2;
  std::string expect;           // a fragment of the one stderr line that explains the exit
  bool diagnostics = false;     // several "FILE:LINE:COL: ..." lines before the message are expected
};

const std::vector<MatrixOption>& matrixOptions();
const std::vector<MatrixRow>& matrixRows();
std::vector<std::string> requiredKinds(OptionClass kind);

}  // namespace sockspec::testing
