// Dictionaries for libFuzzer's mutator in `sockspec fuzz`: the user's --dict file checked in libFuzzer's
// format before the worker starts (libFuzzer's own parser prints "ParseDictionaryFile: error in line N" and
// exits), tokens learned from example messages, and the one file the worker passes as -dict= (libFuzzer
// takes a single dictionary, so the user's and the learned entries are merged into it).
//
// The format (compiler-rt FuzzerUtil.cpp, ParseDictionaryFile and ParseOneDictionaryEntry): one entry per
// line, blank lines and lines starting with '#' skipped; an entry is an optional name, then bytes in double
// quotes, where the only escapes are \\, \" and \xAB. We accept a subset of what libFuzzer accepts, and the
// same bytes; what we refuse beyond it is refused with a reason (see parseDictionary).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace sockspec::blackbox {

// libFuzzer keeps entries up to this long and drops longer ones without a word: its Word is FixedWord<64>
// (FuzzerDictionary.h) and FuzzerDriver.cpp adds only entries with U.size() <= Word::GetMaxSize().
inline constexpr std::size_t kMaxDictionaryEntryBytes = 64;
// A dictionary file is read whole; beyond this it is refused (a device such as /dev/zero never ends).
inline constexpr std::size_t kMaxDictionaryFileBytes = std::size_t{16} << 20;

struct DictionaryEntry {
  std::string name;  // what precedes the quoted bytes, without its '='; "" when none. libFuzzer ignores it.
  std::vector<std::uint8_t> bytes;
  bool operator==(const DictionaryEntry&) const = default;
};

// The entries of `text`, a dictionary in libFuzzer's format read from `fileName`, in file order. Fails with
// "FILE:LINE:COL: what" (COL 1-based, at the offending byte) on the first line libFuzzer would refuse (no
// quotes, an unknown escape, \x without two hex digits, a raw byte that is neither printable ASCII nor white
// space, an empty entry "", an empty file) and on what libFuzzer takes but does not mean: anything but white
// space after the closing quote (libFuzzer reads `"a" "b"` as the one entry a" "b) and an entry longer than
// kMaxDictionaryEntryBytes (libFuzzer would drop it unused).
Expected<std::vector<DictionaryEntry>, std::string> parseDictionary(std::string_view text,
                                                                    const std::string& fileName);

// parseDictionary on the file at `path`. Fails naming the path and the errno of the call that failed
// ("d.dict: open: ENOENT (No such file or directory)", a folder gives "read: EISDIR ..."), or naming the
// path when it is larger than kMaxDictionaryFileBytes.
Expected<std::vector<DictionaryEntry>, std::string> readDictionaryFile(const std::string& path);

// Tokens worth giving the mutator, learned from example messages (seed inputs, replies). A message is text
// when at least 90% of its bytes are printable ASCII, '\t', '\r' or '\n'; from text come its words (maximal
// runs of [A-Za-z0-9_-], 2 to 32 bytes), the word opening each line (1 to 32 bytes) with the space, tab or
// other printable separator after it ("GET ", "Host:"), each line terminator used ("\r\n", "\n"), and
// each whole line of up to kMaxDictionaryEntryBytes with its terminator ("STAT\r\n"). From any other message
// come its first 1, 2 and 4 bytes (type and length fields), and the message itself when it is that short. Deduplicated by bytes, most
// frequent first (ties in the order first seen), at most `maxEntries`; the same messages give the same list.
std::vector<DictionaryEntry> learnDictionary(const std::vector<std::vector<std::uint8_t>>& messages,
                                             std::size_t maxEntries = 256);

// `entries` in libFuzzer's format: a comment line (libFuzzer refuses an empty file), then one
// name="bytes" line per entry, with each byte outside printable ASCII, and \ and ", written \xAB. Entries
// are deduplicated by bytes (the first one's name is kept); a name keeps [A-Za-z0-9_.@-] and has any other
// byte written '_'; entries libFuzzer cannot use (empty, longer than kMaxDictionaryEntryBytes) are left
// out. parseDictionary of the result gives back the entries' bytes.
std::string formatDictionary(const std::vector<DictionaryEntry>& entries);

}  // namespace sockspec::blackbox
