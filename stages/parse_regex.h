// RegexParser: the "regex" line format, driven by an RE2 pattern whose named groups become the
// record's fields. Built once (Create), then immutable: Parse is const and may run concurrently
// from many threads on different records and arenas. Field names and the reasons of failed
// records are views into strings the parser owns (shared by its copies): keep the parser, or a
// copy of it, alive as long as the records it filled are used. Values are views into the line.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/record.h"

namespace ringflow::stages {

class RegexParser {
 public:
  // Compiles `pattern` (RE2 syntax) for matching whole lines, byte by byte: the pattern must
  // match the entire line (anchored at both ends, as RE2::FullMatch), and `.`, `\S`, `[^"]` match
  // any single byte, so lines holding NULs or invalid UTF-8 match like any other. The pattern
  // must be ASCII (write other bytes as `\xHH`).
  //
  // Every named group `(?P<name>...)` becomes a field called `name`; unnamed groups are ignored.
  // `types` gives some groups a type: items "group=int", "group=double", "group=bool" or
  // "group=string" (the default for groups not listed).
  //
  // Errors (all kInvalidArgument, one line): a pattern RE2 rejects (with RE2's reason), a
  // non-ASCII pattern, a pattern without named groups or with a name used twice, a `types` item
  // that is not group=type, names no group of the pattern, names an unknown type or repeats a
  // group.
  static Result<RegexParser> Create(std::string_view pattern,
                                    const std::vector<std::string>& types);

  // Matches `line` and replaces out.fields with the named groups, in group order: a group that
  // did not take part in the match (`(?P<x>...)?` skipped, the other side of a `|`) is omitted;
  // one that matched empty text is present. Values by type:
  //   string  the group's text, a view into the line (never copied)
  //   int     an int64 in decimal, optional '-': "-12", "007"; no '+', blanks or overflow
  //   double  a finite decimal or exponent number ("1.5", "-2e3", ".5"); no inf, nan or hex
  //   bool    exactly "true" or "false"
  // Returns true on success. On failure returns false, leaves out.fields empty and sets
  // out.error to `regex: no match` (the pattern does not match the whole line) or to
  // `regex: field "status" is not an integer` (/ "is not a number" / "is not true or false")
  // for the first typed group whose text does not convert. Always sets out.raw = line and leaves
  // out.truncated alone. Reuses out.fields' capacity; `arena` is unused (same signature as the
  // other parsers). The submatch array lives on the stack (a thread-local one for patterns of
  // more than 16 groups): no heap allocation per line beyond what RE2 itself does. A moved-from
  // parser fails every line with `regex: no pattern`.
  bool Parse(std::string_view line, flow::Record& out, flow::Arena& arena) const;

  // The pattern given to Create.
  std::string_view pattern() const;

 private:
  struct Impl;
  explicit RegexParser(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;  // never null, except in a moved-from parser
};

}  // namespace ringflow::stages
