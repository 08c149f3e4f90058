#include "blackbox/fuzz_dictionary.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "base/display_escape.h"
#include "base/file_bytes.h"

namespace sockspec::blackbox {

namespace {

// libFuzzer classifies bytes with isspace() and isprint() in the "C" locale (it never calls setlocale).
bool isSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool isPrintable(unsigned char c) {
  return c >= 0x20 && c < 0x7f;
}

int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct EntryError {
  std::size_t column;  // 1-based
  std::string what;
};

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

// One entry line; `start` is its first byte that is not white space. libFuzzer takes the bytes between the
// first and the last '"' of the line (ParseOneDictionaryEntry); we end them at the first unescaped '"' and
// allow only white space after it, so that every line we accept means the same bytes to both parsers.
Expected<DictionaryEntry, EntryError> parseEntry(std::string_view line, std::size_t start) {
  const std::size_t open = line.find('"', start);
  if (open == std::string_view::npos) {
    // Where the quoted bytes should begin: after the name's '=', else where the line begins.
    std::size_t expected = start;
    if (auto equals = line.find('=', start); equals != std::string_view::npos) {
      expected = equals + 1;
      while (expected < line.size() && isSpace(line[expected])) ++expected;
    }
    return Unexpected{
        EntryError{expected + 1, "expected the entry's bytes in double quotes (name=\"bytes\")"}};
  }
  DictionaryEntry entry;
  // libFuzzer does not look at the name at all; AFL-style "name@level=" is a name too.
  std::string_view name = trimmed(line.substr(start, open - start));
  if (!name.empty() && name.back() == '=') name = trimmed(name.substr(0, name.size() - 1));
  entry.name = name;

  std::size_t close = std::string_view::npos;
  // Bounded: each pass consumes at least one byte of the line.
  for (std::size_t i = open + 1; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      close = i;
      break;
    }
    if (c == '\\') {
      const char next = i + 1 < line.size() ? line[i + 1] : '\0';
      if (next == '\\' || next == '"') {
        entry.bytes.push_back(static_cast<std::uint8_t>(next));
        ++i;
        continue;
      }
      if (next == 'x') {
        int value = 0;
        for (std::size_t k = i + 2; k < i + 4; ++k) {
          int digit = k < line.size() ? hexDigitValue(line[k]) : -1;
          if (digit < 0) return Unexpected{EntryError{k + 1, "\\x takes two hex digits (\\xAB)"}};
          value = value * 16 + digit;
        }
        entry.bytes.push_back(static_cast<std::uint8_t>(value));
        i += 3;
        continue;
      }
      if (i + 1 == line.size()) return Unexpected{EntryError{i + 1, "a '\\' ends the line"}};
      return Unexpected{EntryError{i + 1, fmt::format("unknown escape '\\{}': libFuzzer knows only \\\\, "
                                                      "\\\" and \\xAB",
                                                      escapeForDisplay(std::string_view(&next, 1)))}};
    }
    if (!isPrintable(static_cast<unsigned char>(c)) && !isSpace(c)) {
      auto byte = static_cast<unsigned>(static_cast<unsigned char>(c));
      return Unexpected{EntryError{
          i + 1, fmt::format("byte 0x{:02X} must be written \\x{:02X} (libFuzzer takes raw bytes only if "
                             "printable ASCII or white space)",
                             byte, byte)}};
    }
    entry.bytes.push_back(static_cast<std::uint8_t>(c));
  }
  if (close == std::string_view::npos) {
    std::size_t end = line.size();
    while (end > open + 1 && isSpace(line[end - 1])) --end;
    return Unexpected{EntryError{end + 1, "no closing '\"'"}};
  }
  for (std::size_t i = close + 1; i < line.size(); ++i) {
    if (!isSpace(line[i])) {
      return Unexpected{EntryError{i + 1,
                                   "only white space may follow the closing '\"' (one entry per line; "
                                   "write '\"' inside an entry as \\\")"}};
    }
  }
  if (entry.bytes.empty()) {
    // ParseOneDictionaryEntry returns false for "" (its `L >= R` check once the quotes are found).
    return Unexpected{EntryError{open + 1, "an empty entry (libFuzzer refuses \"\")"}};
  }
  if (entry.bytes.size() > kMaxDictionaryEntryBytes) {
    return Unexpected{EntryError{
        open + 1,
        fmt::format("an entry of {} bytes: libFuzzer uses at most {} (it would drop this one unused)",
                    entry.bytes.size(), kMaxDictionaryEntryBytes)}};
  }
  return entry;
}

bool isWordByte(std::uint8_t b) {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_' || b == '-';
}

// What learnDictionary takes from a binary message: its first bytes, where type and length fields are.
struct LeadingField {
  std::size_t length;
  const char* name;
};
constexpr LeadingField kLeadingFields[] = {{1, "lead_1"}, {2, "lead_2"}, {4, "lead_4"}};

constexpr std::size_t kShortestWord = 2;
constexpr std::size_t kLongestWord = 32;

// The rule for "text" in learnDictionary's contract: at least 90% printable ASCII, '\t', '\r' or '\n'.
bool looksLikeText(const std::vector<std::uint8_t>& message) {
  auto textBytes = std::count_if(message.begin(), message.end(), [](std::uint8_t b) {
    return isPrintable(b) || b == '\t' || b == '\r' || b == '\n';
  });
  return static_cast<std::size_t>(textBytes) * 10 >= message.size() * 9;
}

// Tokens with how often each was seen, in the order first seen.
class TokenTally {
 public:
  void add(const char* kind, const std::uint8_t* begin, std::size_t length) {
    std::string key(reinterpret_cast<const char*>(begin), length);
    auto [at, fresh] = m_index.try_emplace(std::move(key), m_tokens.size());
    if (fresh) m_tokens.push_back({{kind, std::vector<std::uint8_t>(begin, begin + length)}, 0});
    ++m_tokens[at->second].count;
  }

  std::vector<DictionaryEntry> mostFrequent(std::size_t maxEntries) {
    std::stable_sort(m_tokens.begin(), m_tokens.end(),
                     [](const Token& a, const Token& b) { return a.count > b.count; });
    std::vector<DictionaryEntry> entries;
    for (std::size_t i = 0; i < m_tokens.size() && i < maxEntries; ++i) entries.push_back(m_tokens[i].entry);
    return entries;
  }

 private:
  struct Token {
    DictionaryEntry entry;
    std::size_t count;
  };
  std::vector<Token> m_tokens;
  std::unordered_map<std::string, std::size_t> m_index;  // bytes -> position in m_tokens
};

void tallyText(const std::vector<std::uint8_t>& message, TokenTally& tally) {
  const std::uint8_t* data = message.data();
  const std::size_t size = message.size();
  bool lineStart = true;
  std::size_t lineBegin = 0;
  // Bounded: each pass moves `i` forward by at least one byte.
  for (std::size_t i = 0; i < size;) {
    if (data[i] == '\n') {
      bool crlf = i > 0 && data[i - 1] == '\r';
      tally.add("line_end", data + i - (crlf ? 1 : 0), crlf ? 2 : 1);
      // A whole request line ("STAT\r\n"): one insertion then makes a new command of a conversation.
      if (i + 1 - lineBegin <= kMaxDictionaryEntryBytes) tally.add("line", data + lineBegin, i + 1 - lineBegin);
      lineStart = true;
      lineBegin = ++i;
      continue;
    }
    if (!isWordByte(data[i])) {
      lineStart = false;
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < size && isWordByte(data[end])) ++end;
    const std::size_t length = end - i;
    if (length >= kShortestWord && length <= kLongestWord) tally.add("word", data + i, length);
    // The word opening a line is a command or a header's name in line protocols: with its separator it is
    // what such a protocol's parser switches on.
    if (lineStart && length <= kLongestWord && end < size && (isPrintable(data[end]) || data[end] == '\t')) {
      tally.add("line_start", data + i, length + 1);
    }
    lineStart = false;
    i = end;
  }
}

// Keeps [A-Za-z0-9_.@-] of a name, so that a written line always parses back (no '"', no line break, no
// leading '#').
std::string writableName(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (!isWordByte(static_cast<std::uint8_t>(c)) && c != '.' && c != '@') c = '_';
  }
  return out;
}

}  // namespace

Expected<std::vector<DictionaryEntry>, std::string> parseDictionary(std::string_view text,
                                                                    const std::string& fileName) {
  if (text.empty()) {
    // ParseDictionaryFile: "file does not exist or is empty", and libFuzzer exits.
    return Unexpected{
        fmt::format("{}:1:1: an empty file (libFuzzer refuses an empty dictionary; a comment "
                    "line is enough)",
                    fileName)};
  }
  std::vector<DictionaryEntry> entries;
  std::size_t lineNumber = 0;
  // Bounded: each pass consumes one line of `text`. Lines end at '\n' only, as libFuzzer's std::getline.
  for (std::size_t at = 0; at < text.size();) {
    ++lineNumber;
    std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    std::size_t start = 0;
    while (start < line.size() && isSpace(line[start])) ++start;
    if (start == line.size() || line[start] == '#') continue;
    auto entry = parseEntry(line, start);
    if (!entry) {
      return Unexpected{
          fmt::format("{}:{}:{}: {}", fileName, lineNumber, entry.error().column, entry.error().what)};
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

Expected<std::vector<DictionaryEntry>, std::string> readDictionaryFile(const std::string& path) {
  auto text = readFileBytes(path, kMaxDictionaryFileBytes);
  if (!text) return Unexpected{fmt::format("{}: {}", path, text.error().describe())};
  if (text->size() > kMaxDictionaryFileBytes) {
    return Unexpected{fmt::format("{}: larger than {} MiB, the most a dictionary may be", path,
                                  kMaxDictionaryFileBytes >> 20)};
  }
  return parseDictionary(*text, path);
}

std::vector<DictionaryEntry> learnDictionary(const std::vector<std::vector<std::uint8_t>>& messages,
                                             std::size_t maxEntries) {
  TokenTally tally;
  for (const auto& message : messages) {
    if (message.empty()) continue;
    if (looksLikeText(message)) {
      tallyText(message, tally);
      continue;
    }
    for (const auto& lead : kLeadingFields) {
      if (message.size() >= lead.length) tally.add(lead.name, message.data(), lead.length);
    }
    // A short binary request whole: one insertion then makes a new request of a conversation.
    if (message.size() <= kMaxDictionaryEntryBytes) tally.add("message", message.data(), message.size());
  }
  return tally.mostFrequent(maxEntries);
}

std::string formatDictionary(const std::vector<DictionaryEntry>& entries) {
  std::string out = "# libFuzzer dictionary (-dict=), written by sockspec fuzz\n";
  std::set<std::vector<std::uint8_t>> written;
  for (const auto& entry : entries) {
    if (entry.bytes.empty() || entry.bytes.size() > kMaxDictionaryEntryBytes) continue;
    if (!written.insert(entry.bytes).second) continue;
    if (!entry.name.empty()) out += writableName(entry.name) + "=";
    out += '"';
    for (std::uint8_t byte : entry.bytes) {
      if (isPrintable(byte) && byte != '\\' && byte != '"') {
        out += static_cast<char>(byte);
      } else {
        out += fmt::format("\\x{:02X}", byte);
      }
    }
    out += "\"\n";
  }
  return out;
}

}  // namespace sockspec::blackbox
