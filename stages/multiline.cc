#include "stages/multiline.h"

#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "stages/parse_cri.h"

namespace ringflow::stages {
namespace {

bool Indented(std::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

bool Blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

bool Digit(char c) { return c >= '0' && c <= '9'; }

// "... 12 more" (a Java trace's frames shared with the enclosing trace, left out).
bool JavaMoreLine(std::string_view line) {
  if (!line.starts_with("... ")) return false;
  std::size_t i = 4;
  while (i < line.size() && Digit(line[i])) ++i;
  return i > 4 && line.substr(i).starts_with(" more");
}

// "java.lang.IllegalStateException: msg", "com.acme.Outer$BadThingError" alone: the line that
// log4j and logback print after the message line of a record logged with an exception.
bool JavaExceptionLine(std::string_view line) {
  auto token_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || Digit(c) || c == '_' || c == '$' ||
           c == '.';
  };
  std::size_t i = 0;
  while (i < line.size() && token_char(line[i])) ++i;
  if (i == 0 || (i < line.size() && line[i] != ':')) return false;
  const std::string_view name = line.substr(0, i);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size() || name[0] == '.' ||
      Digit(name[0])) {
    return false;
  }
  const std::string_view simple = name.substr(dot + 1);
  return simple.find("Exception") != std::string_view::npos ||
         simple.find("Error") != std::string_view::npos ||
         simple.find("Throwable") != std::string_view::npos;
}

// Java: indented lines ("\tat ...", "\t... 12 more", "\tSuppressed: ...", "\tCaused by: ..."),
// "Caused by: ...", "Suppressed: ...", "... N more", and an exception's first line
// ("pkg.SomeException: msg") continue the record before them.
bool JavaContinues(std::string_view line) {
  if (line.empty()) return false;
  const char c = line[0];
  if (c == ' ' || c == '\t') return true;
  if (Digit(c)) return false;  // the common case: a log line that starts with its timestamp
  if (c == '.') return JavaMoreLine(line);
  return line.starts_with("Caused by:") || line.starts_with("Suppressed:") ||
         JavaExceptionLine(line);
}

// Python's traceback, as the interpreter and logging.exception print it:
//   Traceback (most recent call last):       <- continues the record before (logging's message)
//     File "app.py", line 3, in <module>     <- indented: frames, source lines, ^^^^ markers
//       main()
//   ValueError: bad                          <- the first line that is not indented: the last
//                                            <- blank (only after an exception line)
//   During handling of the above exception, another exception occurred:
//                                            (or: The above exception was the direct cause ...)
//   Traceback (most recent call last):       <- the chained traceback, and so on
enum PythonState : MultilineState {
  kPyNone = 0,
  kPyTrace,      // inside a traceback, before its exception line
  kPyException,  // just after an exception line
  kPyBlank,      // blank lines after an exception line
  kPyChain,      // after "During handling ..." / "The above exception ..."
};

bool PythonContinues(std::string_view line, MultilineState& state) {
  if (line.starts_with("Traceback (most recent call last):")) {
    state = kPyTrace;
    return true;
  }
  switch (state) {
    case kPyTrace:
      if (!Indented(line) && !Blank(line)) state = kPyException;
      return true;
    case kPyException:
      if (Indented(line)) return true;
      if (Blank(line)) {
        state = kPyBlank;
        return true;
      }
      break;
    case kPyBlank:
      if (Blank(line)) return true;
      if (line.starts_with("During handling of the above exception") ||
          line.starts_with("The above exception was the direct cause")) {
        state = kPyChain;
        return true;
      }
      break;
    case kPyChain:
      if (Blank(line)) return true;
      break;
    default:
      break;
  }
  state = kPyNone;
  return Indented(line);
}

// A Go stack frame's function line: "main.main()", "net/http.(*conn).serve(0xc000118000)",
// "panic({0x4a5b60?, 0xc0000140a8?})": a name without blanks up to the first '(', a ')' at the end.
bool GoFrameLine(std::string_view line) {
  const std::size_t paren = line.find('(');
  if (paren == 0 || paren == std::string_view::npos || line.back() != ')') return false;
  return line.substr(0, paren).find_first_of(" \t") == std::string_view::npos;
}

// Go: "panic: ...", "fatal error: ..." or a "goroutine N [...]:" header begins a dump, which
// goes on through blank lines, goroutine headers, "[signal ...]", function lines, their
// indented "\t/path/file.go:NN +0x1d" lines and "created by ..." lines. Elsewhere, indented
// lines continue the record before them.
enum GoState : MultilineState { kGoNone = 0, kGoDump };

bool GoContinues(std::string_view line, MultilineState& state) {
  if (line.starts_with("panic: ") || line.starts_with("fatal error: ") ||
      (state == kGoNone && line.starts_with("goroutine ") && line.size() > 10 && Digit(line[10]))) {
    state = kGoDump;
    return false;
  }
  if (state == kGoDump) {
    if (Blank(line) || Indented(line) || line.starts_with("goroutine ") ||
        line.starts_with("[signal ") || line.starts_with("created by ") ||
        line.starts_with("runtime stack:") || line.starts_with("...additional frames elided") ||
        GoFrameLine(line)) {
      return true;
    }
    state = kGoNone;
  }
  return Indented(line);
}

Status CheckAsciiPattern(std::string_view param, std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (static_cast<unsigned char>(pattern[i]) >= 0x80) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string(param) + ": non-ASCII byte at offset " + std::to_string(i) +
                       " (matching is byte by byte: write bytes as \\xHH)");
    }
  }
  return OkStatus();
}

}  // namespace

MultilineRule::MultilineRule(MultilineOptions options) : options_(std::move(options)) {}
MultilineRule::~MultilineRule() = default;

Result<std::shared_ptr<const MultilineRule>> MultilineRule::Create(
    const MultilineOptions& options) {
  if (options.max_lines == 0 || options.max_bytes == 0) {
    return Error(ErrorCode::kInvalidArgument, "multiline limits must be at least 1");
  }
  const bool custom = options.preset == MultilinePreset::kCustom;
  const bool has_start = !options.start.empty();
  const bool has_continue = !options.continue_pattern.empty();
  if (!custom && (has_start || has_continue || options.negate)) {
    return Error(ErrorCode::kInvalidArgument,
                 "multiline_start, multiline_continue and multiline_negate go with "
                 "\"multiline\": \"custom\" (a preset has its own rule)");
  }
  if (custom && has_start == has_continue) {
    return Error(ErrorCode::kInvalidArgument,
                 "\"multiline\": \"custom\" takes exactly one of multiline_start (a line that "
                 "matches begins a record) and multiline_continue (a line that matches continues "
                 "the record before it)");
  }
  std::shared_ptr<MultilineRule> rule(new MultilineRule(options));
  if (custom) {
    const std::string_view param = has_start ? "multiline_start" : "multiline_continue";
    const std::string& pattern = has_start ? options.start : options.continue_pattern;
    RINGFLOW_RETURN_IF_ERROR(CheckAsciiPattern(param, pattern));
    RE2::Options re_options;
    re_options.set_log_errors(false);  // the error comes back in the Result, not on stderr
    // Latin-1: every byte is one character, so lines that are not valid UTF-8 still match.
    re_options.set_encoding(RE2::Options::EncodingLatin1);
    rule->re_ = std::make_unique<RE2>(pattern, re_options);
    if (!rule->re_->ok()) {
      std::string why = rule->re_->error();
      if (why.size() > 300) why = why.substr(0, 300) + "...";
      return Error(ErrorCode::kInvalidArgument, std::string(param) + ": " + why);
    }
    rule->re_starts_ = has_start;
  }
  return std::shared_ptr<const MultilineRule>(std::move(rule));
}

bool MultilineRule::Continues(std::string_view line, MultilineState& state) const {
  switch (options_.preset) {
    case MultilinePreset::kJava:
      return JavaContinues(line);
    case MultilinePreset::kPython:
      return PythonContinues(line, state);
    case MultilinePreset::kGo:
      return GoContinues(line, state);
    case MultilinePreset::kIndented:
      return Indented(line);
    case MultilinePreset::kCri:
      return false;
    case MultilinePreset::kCustom: {
      const bool matches =
          re_->Match(line, 0, line.size(), RE2::UNANCHORED, nullptr, 0) != options_.negate;
      return re_starts_ ? !matches : matches;
    }
  }
  return false;
}

void MultilineJoiner::Detach() {
  if (!in_view_) return;
  owned_.assign(view_);
  in_view_ = false;
  view_ = {};
}

void MultilineJoiner::Begin(const Line& line) {
  lines_ = 1;
  kept_ = 1;
  truncated_ = line.truncated;
  full_ = false;
  owned_.clear();
  std::string_view text = line.text;
  if (text.size() > max_bytes_) {
    text = text.substr(0, max_bytes_);
    truncated_ = full_ = true;
  }
  // A stitched line lives in the framer's side buffer only until its next call.
  in_view_ = !line.stitched;
  if (in_view_) {
    view_ = text;
  } else {
    owned_.assign(text);
  }
}

void MultilineJoiner::Append(const Line& line) {
  ++lines_;
  if (full_) return;
  if (kept_ == max_lines_) {
    truncated_ = full_ = true;
    return;
  }
  ++kept_;
  if (line.truncated) truncated_ = true;
  const std::size_t size = in_view_ ? view_.size() : owned_.size();
  const std::size_t room = max_bytes_ - size;  // the text is never longer than max_bytes_
  const std::string_view text = line.text;
  // The '\n' and the line; when they do not fit, what fits of the line (nothing of it: no '\n').
  std::size_t add = 1 + text.size();
  if (add > room) {
    add = room > 1 ? room : 0;
    truncated_ = full_ = true;
  }
  // Back to back in the chunk with a bare '\n' between: the record stays a view.
  if (in_view_ && !line.stitched) {
    // Both views are into the same chunk, so the byte between them is the chunk's.
    const char* const view_end = view_.data() + view_.size();
    if (text.data() == view_end + 1 && *view_end == '\n') {
      view_ = std::string_view(view_.data(), view_.size() + add);
      return;
    }
  }
  Detach();
  if (add != 0) {
    owned_.push_back('\n');
    owned_.append(text.substr(0, add - 1));
  }
}

JoinedRecord MultilineJoiner::Take() {
  JoinedRecord r;
  r.text = in_view_ ? view_ : std::string_view(owned_);
  r.in_chunk = in_view_;
  r.truncated = truncated_;
  r.lines = lines_;
  lines_ = 0;
  kept_ = 0;
  in_view_ = false;
  view_ = {};
  truncated_ = false;
  full_ = false;
  return r;
}

bool MultilineJoiner::AddCri(const Line& line) {
  const uint64_t number = ++cri_lines_;
  const internal::CriLine cri = internal::SplitCriLine(line.text);
  if (!cri.error.empty()) {
    // Not a CRI line: it goes alone, to fail in the parser; the pending parts wait on.
    cri_out_ = {line.text, !line.stitched, line.truncated, 1};
    return true;
  }
  CriPending& p = cri_pending_[cri.stream == "stdout" ? 0 : 1];
  if (p.lines == 0) {
    if (!cri.partial) {
      // A whole line: itself, its message cut to max_bytes.
      const std::size_t header = line.text.size() - cri.message.size();
      const bool cut = cri.message.size() > max_bytes_;
      const std::string_view text = cut ? line.text.substr(0, header + max_bytes_) : line.text;
      cri_out_ = {text, !line.stitched, line.truncated || cut, 1};
      return true;
    }
    // A record's first part: its header (up to the tag's blank) and, below, its message.
    p.text.assign(line.text.substr(0, line.text.size() - cri.message.size()));
    if (p.text.size() == cri.tag + 1) p.text.push_back(' ');  // "P" ends the line
    p.tag = cri.tag;
    p.lines = 0;
    p.first = number;
    p.kept = 0;
    p.truncated = false;
    p.full = false;
  }
  ++p.lines;
  AppendCri(p, cri.message, line.truncated);
  if (cri.partial) return false;
  TakeCri(p, 'F');
  return true;
}

void MultilineJoiner::AppendCri(CriPending& p, std::string_view message, bool line_truncated) {
  if (p.full) return;
  if (p.kept == max_lines_) {
    p.truncated = p.full = true;
    return;
  }
  ++p.kept;
  if (line_truncated) p.truncated = true;
  const std::size_t room = max_bytes_ - (p.text.size() - p.tag - 2);
  if (message.size() > room) {
    message = message.substr(0, room);
    p.truncated = p.full = true;
  }
  p.text.append(message);
}

void MultilineJoiner::TakeCri(CriPending& p, char tag) {
  cri_text_.swap(p.text);
  cri_text_[p.tag] = tag;
  cri_out_ = {cri_text_, false, p.truncated, p.lines};
  p.text.clear();
  p.lines = 0;
}

bool MultilineJoiner::FinishCri() {
  CriPending* next = nullptr;
  for (CriPending& p : cri_pending_) {
    if (p.lines != 0 && (next == nullptr || p.first < next->first)) next = &p;
  }
  if (next == nullptr) {
    cri_lines_ = 0;
    return false;
  }
  TakeCri(*next, 'P');
  return true;
}

}  // namespace ringflow::stages
