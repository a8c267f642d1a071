// Grok: Logstash's grok expressions (`%{IPORHOST:client} %{HTTPDATE:time} ...`) compiled to one
// RE2 pattern, and GrokParser, the line parser that matches it. ExpandGrok is a pure function;
// a GrokParser is built once (Create), then immutable: Parse is const and may run concurrently
// on different records. Field names and failure reasons are views into strings the parser owns
// (shared by its copies): keep the parser, or a copy, alive as long as the records it filled.
// Values are views into the line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/record.h"

namespace ringflow::stages {

// The standard pattern set (grok_patterns.cc): `NAME regex` lines, '#' comments and blank lines.
// Logstash's names, with the field names of its ECS set: %{COMBINEDAPACHELOG} gives
// source.address, apache.access.user.identity, user.name, timestamp, http.request.method,
// url.original, http.version, http.response.status_code (int), http.response.body.bytes (int),
// http.request.referrer, user_agent.original; %{SYSLOGLINE} gives timestamp, log.syslog.*,
// host.hostname, process.name, process.pid (int), message.
std::string_view GrokPatternsText();

// The standard set as a map from name to definition, parsed once from GrokPatternsText().
const std::map<std::string, std::string, std::less<>>& StandardGrokPatterns();

enum class GrokType : uint8_t { kString, kInt, kFloat };

// One capturing group of an expanded pattern: the field it fills and the type of its value.
struct GrokCapture {
  std::string field;
  GrokType type = GrokType::kString;
};

struct GrokExpansion {
  std::string pattern;                // RE2 syntax; every capturing group is a field's
  std::vector<GrokCapture> captures;  // captures[i] is capturing group i + 1
};

// Expands a grok expression into one RE2 pattern. Syntax:
//   %{NAME}              the definition of NAME, in a non-capturing group
//   %{NAME:field}        the same, captured as the field `field` (a string)
//   %{NAME:field:int}    converted to an int64 (`:float` to a double) by GrokParser
//   (?<field>...)        a named group (also `(?P<field>...)`), a string field
// Definitions come from `extra_definitions` first, then the standard set, and are expanded
// recursively. Field names are letters, digits and `_ @ -` in segments joined by dots
// (`source.address`); Logstash's `[source][address]` is the same field. Only the outermost
// named captures become fields: a named capture inside another one (inside `%{HTTPDATE:t}`, or
// `(?<a>x(?<b>y))`) is made non-capturing, and so are unnamed groups, so that the pattern has
// no capturing group besides the fields'. A field may be captured in several places (the two
// sides of a `|`) when every place gives it the same type. Unlike Logstash (Oniguruma), the
// regexes are RE2: no lookarounds, atomic groups or backreferences.
//
// Errors (all kInvalidArgument, one line, naming where: "the expression" or `pattern "NAME"`):
// `grok: unknown pattern "NAME" in pattern "OTHER"`, `grok: recursion cycle in pattern "A": A ->
// B -> A`, a `%{...}` that is not NAME[:field[:type]], a bad field name or type, a field
// captured with two types, nesting deeper than 100 definitions, an expansion larger than 1 MiB.
// Does not compile the pattern.
Result<GrokExpansion> ExpandGrok(std::string_view expression,
                                 const std::map<std::string, std::string>& extra_definitions);

class GrokParser {
 public:
  // Expands `expression` (ExpandGrok) and compiles it as RE2 matching whole lines byte by byte
  // (as RegexParser: anchored at both ends, Latin-1, so any byte matches `.`; definitions must
  // be ASCII). Every definition in `definitions` is checked, used or not: it must expand and
  // compile on its own. The pattern's top-level sequence is also cut into pieces, one per field,
  // each compiled on its own, which Parse tries first (pieces()).
  //
  // Errors (all kInvalidArgument, one line): those of ExpandGrok; `grok pattern "NAME": <RE2's
  // reason>` for a definition that RE2 rejects (the innermost such definition is named), `grok
  // expression: <RE2's reason>` when the expression itself is at fault; an expression without a
  // field; a non-ASCII definition or expression.
  static Result<GrokParser> Create(std::string_view expression,
                                   const std::map<std::string, std::string>& definitions);

  // Matches `line` and replaces out.fields with the expression's fields, in the order they first
  // appear in it. A field whose groups did not take part in the match (`(?:-|%{INT:bytes})` on
  // "-") is omitted; one that matched empty text is present. Values: strings are views into the
  // line; `:int` fields an int64 in decimal with an optional sign ('+' or '-'), no blanks or
  // overflow; `:float` fields a finite decimal or exponent number with an optional sign.
  // Returns true on success. On failure returns false, leaves out.fields empty and sets
  // out.error to `grok: no match` or `grok: field "status" is not an integer` (/ "is not a
  // number") for the first typed field that does not convert. Always sets out.raw = line and
  // leaves out.truncated alone; `arena` is unused. A moved-from parser fails every line with
  // `grok: no pattern`.
  bool Parse(std::string_view line, flow::Record& out, flow::Arena& arena) const;

  // The expanded RE2 pattern.
  std::string_view pattern() const;

  // How many pieces Parse matches a line in before it falls back to the whole pattern: 0 when
  // it only matches the whole pattern (a '|' at its top, a single field). The pieces give the
  // same fields as the whole pattern; they are only faster.
  std::size_t pieces() const;

 private:
  struct Impl;
  explicit GrokParser(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;  // never null, except in a moved-from parser
};

}  // namespace ringflow::stages
