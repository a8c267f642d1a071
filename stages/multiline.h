// Multiline records: a rule that says which lines continue the record before them (a preset for
// Java stack traces, Python tracebacks, Go panics or indented lines, or an RE2 pattern), and a
// joiner that, fed one file's lines in order, hands out records made of a first line and its
// continuation lines joined with '\n'. The rule is immutable and shared by every file; each file
// has its own joiner and rule state (MultilineState). Thread-compatible: one joiner per file, used
// by one thread at a time.
// The "cri" rule is of another kind: Kubernetes container logs, where a runtime split a long line
// into parts ("P" lines) that the joiner puts back together per stream (see MultilinePreset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "framework/core/result.h"
#include "stages/line_framer.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace ringflow::stages {

// kCri: CRI container logs ("TIME STREAM TAG MESSAGE", stages/parse_cri.h). A "P" line's message
// continues in the next line of the same stream (stdout or stderr) up to and including an "F"
// line; the joined record is one CRI line: the first part's "TIME STREAM", tag F, then the
// parts' messages one after the other with nothing between them (the runtime cut one line). Each
// stream has its own pending record, as the kubelet, Fluent Bit and Vector read these files
// (the runtime writes the two streams from two writers, so their lines may interleave); a record
// goes out when its F line comes, so a stdout record whose parts enclose stderr lines follows
// them. max_bytes and max_lines bound the joined message (bytes) and the parts kept. A line that
// is not a CRI line passes alone (it fails in the parser, counted); an F line with nothing
// pending passes as it is. At the end of the file a record still waiting for its F line goes out
// with what it has and tag P (the parser's `partial: true`).
enum class MultilinePreset : uint8_t { kJava, kPython, kGo, kIndented, kCustom, kCri };

struct MultilineOptions {
  MultilinePreset preset = MultilinePreset::kIndented;
  // kCustom only, exactly one of the two: a line that matches `start` begins a record (every
  // other line continues the one before it); a line that matches `continue_pattern` continues
  // the record before it (every other line begins one). RE2 syntax, matched anywhere in the line
  // (anchor with ^), byte by byte. `negate` turns "matches" into "does not match".
  std::string start;
  std::string continue_pattern;
  bool negate = false;
  // A record keeps at most max_lines lines and max_bytes bytes of joined text (the first bytes);
  // what lies beyond is dropped from it and the record is flagged truncated. Both >= 1.
  std::size_t max_lines = 500;
  std::size_t max_bytes = std::size_t{1} << 20;
};

// Per-file state of a rule (where in a traceback or a goroutine dump the file is); starts at 0.
using MultilineState = uint8_t;

class MultilineRule {
 public:
  // kInvalidArgument for a custom rule without exactly one pattern, a pattern that RE2 refuses or
  // that holds a non-ASCII byte, patterns or negate given with a preset, and zero limits.
  static Result<std::shared_ptr<const MultilineRule>> Create(const MultilineOptions& options);
  ~MultilineRule();
  MultilineRule(const MultilineRule&) = delete;
  MultilineRule& operator=(const MultilineRule&) = delete;

  // True when `line` (without its line ending) continues the record before it, given the lines
  // before it in the file (through `state`, which it updates). Whether there is a record before
  // it is the caller's business: the first line of a file begins one whatever this says.
  // Always false for kCri, whose joining MultilineJoiner does itself.
  bool Continues(std::string_view line, MultilineState& state) const;

  const MultilineOptions& options() const { return options_; }

 private:
  explicit MultilineRule(MultilineOptions options);

  MultilineOptions options_;
  std::unique_ptr<re2::RE2> re_;  // kCustom: the start or the continue pattern
  bool re_starts_ = false;        // re_ is the start pattern
};

// One joined record, as MultilineJoiner hands it out.
struct JoinedRecord {
  // The lines joined with '\n' (cut to max_bytes); kCri: one CRI line (see MultilinePreset). When
  // `in_chunk`, a view into the chunk whose lines made it (its lines lay back to back there, each
  // ended by a bare '\n'): valid as long as that chunk. Otherwise a view into the joiner, valid
  // until its next call: copy it.
  std::string_view text;
  bool in_chunk = false;
  bool truncated = false;  // a line was cut at max_line_bytes, or the record at its limits
  uint64_t lines = 0;      // input lines the record took, those dropped beyond the limits included
};

class MultilineJoiner {
 public:
  // REQUIRES: `rule` outlives the joiner.
  explicit MultilineJoiner(const MultilineRule* rule)
      : rule_(rule),
        cri_(rule->options().preset == MultilinePreset::kCri),
        max_lines_(rule->options().max_lines),
        max_bytes_(rule->options().max_bytes) {}

  // Takes the file's next line (as LineFramer hands it out; a stitched line is copied). When the
  // line begins a record, the pending one (if any) is handed to emit(const JoinedRecord&) first.
  template <typename Emit>
  void Add(const Line& line, Emit&& emit) {
    if (cri_) {
      if (AddCri(line)) emit(cri_out_);
      return;
    }
    const bool continues = rule_->Continues(line.text, state_);
    if (lines_ != 0 && continues) {
      Append(line);
      return;
    }
    if (lines_ != 0) emit(Take());
    Begin(line);
  }

  // End of the file: hands out the pending record, if any. The joiner is then empty.
  template <typename Emit>
  void Finish(Emit&& emit) {
    if (cri_) {
      while (FinishCri()) emit(cri_out_);
      return;
    }
    if (lines_ != 0) emit(Take());
    state_ = 0;
  }

  // The chunk that the pending record may view is about to go: copy the record out of it.
  void Detach();

  bool pending() const {
    return lines_ != 0 || cri_pending_[0].lines != 0 || cri_pending_[1].lines != 0;
  }
  // Bytes held for the pending record (0 while it is a view into the chunk). At most max_bytes
  // (kCri: per stream, plus the first part's header).
  std::size_t owned_bytes() const {
    return owned_.size() + cri_pending_[0].text.size() + cri_pending_[1].text.size();
  }

 private:
  void Begin(const Line& line);
  void Append(const Line& line);
  // Adds `text` after a '\n' (unless the record is empty), within max_bytes, to the owned copy.
  void AppendOwned(std::string_view text, bool first);
  JoinedRecord Take();

  // kCri. A stream's record waiting for its F line.
  struct CriPending {
    std::string text;     // the first part's "TIME STREAM P ", then the messages (owned)
    std::size_t tag = 0;  // where the tag is in text
    uint64_t lines = 0;   // input lines in it (0: none pending)
    uint64_t first = 0;   // the input line number of its first part, for the order at the end
    std::size_t kept = 0;
    bool truncated = false;
    bool full = false;
  };
  // Takes a line; true when cri_out_ holds a record to hand out.
  bool AddCri(const Line& line);
  // True while a pending record was moved to cri_out_ (the earliest first).
  bool FinishCri();
  // Adds a part's message to `p` within the limits.
  void AppendCri(CriPending& p, std::string_view message, bool line_truncated);
  // Moves `p` to cri_out_ with tag `tag` and empties it.
  void TakeCri(CriPending& p, char tag);

  const MultilineRule* rule_;
  bool cri_ = false;
  std::size_t max_lines_;
  std::size_t max_bytes_;
  MultilineState state_ = 0;
  // The pending record: a view into the current chunk while its lines lie back to back there,
  // otherwise a copy in owned_.
  std::string_view view_;
  bool in_view_ = false;
  std::string owned_;
  uint64_t lines_ = 0;    // input lines in the pending record (0: none pending)
  std::size_t kept_ = 0;  // lines kept in its text
  bool truncated_ = false;
  bool full_ = false;  // a limit was reached: later lines of the record are only counted
  // kCri: stdout's and stderr's pending records, the record handed out last (a view into the
  // line, or a copy in cri_text_), and the input lines taken.
  CriPending cri_pending_[2];
  JoinedRecord cri_out_;
  std::string cri_text_;
  uint64_t cri_lines_ = 0;
};

}  // namespace ringflow::stages
