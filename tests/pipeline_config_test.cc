#include "framework/config/pipeline_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::config {
namespace {

ParamSpec Param(std::string name, ParamType type, bool required = false,
                std::string default_text = "", std::vector<std::string> choices = {}) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.required = required;
  spec.default_text = std::move(default_text);
  spec.choices = std::move(choices);
  return spec;
}

// The stage types of the examples, built by hand as the registry will.
TypeCatalog StageTypes() {
  TypeCatalog catalog;
  ParamSpec max_line = Param("max_line_bytes", ParamType::kSize, false, "1MiB");
  max_line.min = 1;
  max_line.max = int64_t{1} << 30;
  max_line.help = "longest line kept whole";
  EXPECT_OK(catalog.Add({"lines", "Splits chunks into lines.", {max_line}, false, false}));
  ParamSpec format = Param("format", ParamType::kEnum, true, "",
                           {"access", "json", "syslog", "logfmt", "regex", "raw"});
  format.help = "record format";
  EXPECT_OK(catalog.Add(
      {"parse", "Parses lines into records.", {format, Param("pattern", ParamType::kString)}}));
  EXPECT_OK(catalog.Add(
      {"filter", "Keeps matching records.", {Param("where", ParamType::kString, true)}}));
  EXPECT_OK(catalog.Add(
      {"select", "Keeps some fields.", {Param("fields", ParamType::kStringList, true)}}));
  EXPECT_OK(catalog.Add(
      {"checksum",
       "Hashes every file.",
       {Param("algorithm", ParamType::kEnum, false, "xxh3_64", {"xxh3_64", "xxh3_128"})},
       false,
       false}));
  return catalog;
}

TypeCatalog SinkTypes() {
  TypeCatalog catalog;
  EXPECT_OK(catalog.Add(
      {"json",
       "One JSON object per record.",
       {Param("path", ParamType::kString, true), Param("pretty", ParamType::kBool, false, "false")},
       true,
       true}));
  EXPECT_OK(
      catalog.Add({"manifest", "One line per file.", {Param("path", ParamType::kString, true)}}));
  EXPECT_OK(catalog.Add({"null", "Discards everything.", {}, true, true}));
  return catalog;
}

constexpr std::string_view kExample =
    R"({"source": {"paths": ["logs/"], "recursive": true, "include": ["**/*.log"], "exclude": [],
            "engine": {"queue_depth": 128, "buffers": 64, "buffer_size": "1MiB", "direct": false, "sqpoll": false, "threads": 2}},
 "stages": [{"name": "lines", "type": "lines", "max_line_bytes": "1MiB"},
            {"name": "parsed", "type": "parse", "input": "lines", "format": "access"},
            {"name": "errors", "type": "filter", "input": "parsed", "where": "status >= 500"},
            {"name": "sums", "type": "checksum"}],
 "sinks": [{"name": "out", "type": "json", "input": "errors", "path": "errors.ndjson"},
           {"name": "manifest", "type": "manifest", "input": "sums", "path": "manifest.ndjson"}],
 "plugins": ["./libmy_stage.so"],
 "ordered": true})";

// A valid pipeline to which tests add one mistake: `stages` and `sinks` are the JSON arrays.
std::string Pipeline(std::string_view stages, std::string_view sinks = R"([{"name": "out",
    "type": "null", "input": "lines"}])") {
  return R"({"source": {"paths": ["logs/"]}, "stages": )" + std::string(stages) + R"(, "sinks": )" +
         std::string(sinks) + "}";
}

constexpr std::string_view kLines = R"({"name": "lines", "type": "lines"})";

// The error message of loading `json`; "" (and a test failure) when it loads.
std::string LoadError(std::string_view json, const std::vector<std::string>& overrides = {}) {
  auto result = LoadPipeline(json, StageTypes(), SinkTypes(), overrides);
  EXPECT_FALSE(result.ok()) << json;
  if (result.ok()) return "";
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  return result.error().message();
}

std::size_t CountLines(const std::string& text) {
  return text.empty() ? 0
                      : static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

TEST(PipelineConfigTest, LoadsTheExample) {
  ASSERT_OK_AND_ASSIGN(PipelineConfig config,
                       LoadPipeline(kExample, StageTypes(), SinkTypes(), {}));
  EXPECT_EQ(config.source.paths, std::vector<std::string>{"logs/"});
  EXPECT_TRUE(config.source.recursive);
  EXPECT_EQ(config.source.include, std::vector<std::string>{"**/*.log"});
  EXPECT_TRUE(config.source.exclude.empty());
  EXPECT_EQ(config.source.engine.queue_depth, 128u);
  EXPECT_EQ(config.source.engine.buffers, 64u);
  EXPECT_EQ(config.source.engine.buffer_size, std::size_t{1} << 20);
  EXPECT_FALSE(config.source.engine.direct);
  EXPECT_FALSE(config.source.engine.sqpoll);
  EXPECT_EQ(config.source.engine.threads, 2u);

  ASSERT_EQ(config.stages.size(), 4u);
  EXPECT_EQ(config.stages[0].name, "lines");
  EXPECT_EQ(config.stages[0].type, "lines");
  EXPECT_TRUE(config.stages[0].inputs.empty());
  EXPECT_EQ(config.stages[0].GetInt("max_line_bytes"), int64_t{1} << 20);
  EXPECT_EQ(config.stages[0].json_path, "stages[0]");
  EXPECT_EQ(config.stages[1].inputs, std::vector<std::string>{"lines"});
  ASSERT_NE(config.stages[1].GetString("format"), nullptr);
  EXPECT_EQ(*config.stages[1].GetString("format"), "access");
  EXPECT_EQ(config.stages[1].GetString("pattern"), nullptr);  // optional, no default
  EXPECT_EQ(*config.stages[2].GetString("where"), "status >= 500");
  EXPECT_EQ(config.stages[2].json_path, "stages[2]");
  EXPECT_EQ(config.stages[3].type, "checksum");
  EXPECT_EQ(*config.stages[3].GetString("algorithm"), "xxh3_64");  // default filled

  ASSERT_EQ(config.sinks.size(), 2u);
  EXPECT_EQ(config.sinks[0].name, "out");
  EXPECT_EQ(config.sinks[0].inputs, std::vector<std::string>{"errors"});
  EXPECT_EQ(*config.sinks[0].GetString("path"), "errors.ndjson");
  EXPECT_EQ(config.sinks[0].GetBool("pretty"), false);  // default filled
  EXPECT_EQ(config.sinks[1].json_path, "sinks[1]");
  EXPECT_EQ(config.sinks[1].inputs, std::vector<std::string>{"sums"});
  EXPECT_EQ(config.plugins, std::vector<std::string>{"./libmy_stage.so"});
  EXPECT_TRUE(config.ordered);
}

TEST(PipelineConfigTest, FillsDefaults) {
  ASSERT_OK_AND_ASSIGN(
      PipelineConfig config,
      LoadPipeline(Pipeline("[" + std::string(kLines) + "]"), StageTypes(), SinkTypes(), {}));
  EXPECT_TRUE(config.source.recursive);
  EXPECT_TRUE(config.source.include.empty());
  EXPECT_EQ(config.source.order, "rotation");
  EXPECT_EQ(config.source.max_ratio, 1000u);
  EXPECT_EQ(config.source.engine.queue_depth, 256u);
  EXPECT_EQ(config.source.engine.buffers, 0u);      // automatic
  EXPECT_EQ(config.source.engine.buffer_size, 0u);  // automatic
  EXPECT_EQ(config.source.engine.threads, 0u);      // one per CPU
  EXPECT_FALSE(config.source.engine.direct);
  EXPECT_EQ(config.stages[0].GetInt("max_line_bytes"), 1048576);
  EXPECT_TRUE(config.plugins.empty());
  EXPECT_TRUE(config.ordered);
}

TEST(PipelineConfigTest, ParsesSizes) {
  EXPECT_EQ(*ParseSize("4096"), 4096);
  EXPECT_EQ(*ParseSize("64K"), 64 * 1024);
  EXPECT_EQ(*ParseSize("64kb"), 64 * 1024);
  EXPECT_EQ(*ParseSize("1MiB"), 1 << 20);
  EXPECT_EQ(*ParseSize("2G"), int64_t{2} << 30);
  EXPECT_EQ(*ParseSize("1T"), int64_t{1} << 40);
  EXPECT_EQ(*ParseSize("0"), 0);
  for (const char* bad :
       {"", "K", "1Mb!", "-1", "1.5M", " 1M", "1 M", "1P", "9999999999999999999", "8388608T"}) {
    const auto r = ParseSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), "not a size: \"" + std::string(bad) + "\"");
  }
}

TEST(PipelineConfigTest, SizesAcceptIntegersAndStrings) {
  auto with = [](std::string_view size) {
    return Pipeline(R"([{"name": "lines", "type": "lines", "max_line_bytes": )" +
                    std::string(size) + "}]");
  };
  ASSERT_OK_AND_ASSIGN(PipelineConfig a, LoadPipeline(with("4096"), StageTypes(), SinkTypes()));
  EXPECT_EQ(a.stages[0].GetInt("max_line_bytes"), 4096);
  ASSERT_OK_AND_ASSIGN(PipelineConfig b, LoadPipeline(with(R"("64K")"), StageTypes(), SinkTypes()));
  EXPECT_EQ(b.stages[0].GetInt("max_line_bytes"), 65536);
  EXPECT_EQ(LoadError(with(R"("1Mb!")")), "stages[0].max_line_bytes: not a size: \"1Mb!\"");
  EXPECT_EQ(LoadError(with("-4")), "stages[0].max_line_bytes: not a size: -4");
  EXPECT_EQ(LoadError(with("1.5")), "stages[0].max_line_bytes: not a size: 1.5");
  EXPECT_EQ(
      LoadError(with("true")),
      "stages[0].max_line_bytes: expected a size (bytes, or a string like \"64K\"), got true");
  EXPECT_EQ(LoadError(with(R"("2G")")),
            "stages[0].max_line_bytes: 2GiB is out of range; must be between 1 and 1GiB");
}

TEST(PipelineConfigTest, UnknownEnumValueListsChoices) {
  EXPECT_EQ(LoadError(Pipeline(std::string("[") + std::string(kLines) + R"(,
      {"name": "p", "type": "parse", "input": "lines", "format": "acces"}])")),
            "stages[1].format: unknown format \"acces\"; known: access, json, syslog, logfmt, "
            "regex, raw");
}

TEST(PipelineConfigTest, SourceOrderIsOneOfThree) {
  for (const std::string order : {"rotation", "path", "mtime"}) {
    ASSERT_OK_AND_ASSIGN(PipelineConfig config, LoadPipeline(kExample, StageTypes(), SinkTypes(),
                                                             {"source.order=" + order}));
    EXPECT_EQ(config.source.order, order);
  }
  EXPECT_EQ(LoadError(kExample, {"source.order=newest"}),
            "source.order: unknown order \"newest\"; known: rotation, path, mtime");
  EXPECT_EQ(LoadError(kExample, {"source.order=1"}), "source.order: expected a string, got 1");
}

TEST(PipelineConfigTest, SourceMaxRatioIsACountOrZero) {
  ASSERT_OK_AND_ASSIGN(PipelineConfig off,
                       LoadPipeline(kExample, StageTypes(), SinkTypes(), {"source.max_ratio=0"}));
  EXPECT_EQ(off.source.max_ratio, 0u);
  ASSERT_OK_AND_ASSIGN(PipelineConfig high, LoadPipeline(kExample, StageTypes(), SinkTypes(),
                                                         {"source.max_ratio=100000"}));
  EXPECT_EQ(high.source.max_ratio, 100000u);
  EXPECT_NE(LoadError(kExample, {"source.max_ratio=-1"}).find("source.max_ratio"),
            std::string::npos);
}

TEST(PipelineConfigTest, SourceDecodeThreadsIsACountUpTo64) {
  ASSERT_OK_AND_ASSIGN(PipelineConfig fallback, LoadPipeline(kExample, StageTypes(), SinkTypes()));
  EXPECT_EQ(fallback.source.decode_threads, 2u);
  ASSERT_OK_AND_ASSIGN(PipelineConfig none, LoadPipeline(kExample, StageTypes(), SinkTypes(),
                                                         {"source.decode_threads=0"}));
  EXPECT_EQ(none.source.decode_threads, 0u);
  ASSERT_OK_AND_ASSIGN(PipelineConfig two, LoadPipeline(kExample, StageTypes(), SinkTypes(),
                                                        {"source.decode_threads=2"}));
  EXPECT_EQ(two.source.decode_threads, 2u);
  for (const char* bad :
       {"source.decode_threads=-1", "source.decode_threads=65", "source.decode_threads=\"two\""}) {
    EXPECT_NE(LoadError(kExample, {bad}).find("source.decode_threads"), std::string::npos) << bad;
  }
}

TEST(PipelineConfigTest, UnknownStageType) {
  EXPECT_EQ(LoadError(Pipeline(R"([{"name": "lines", "type": "linez", "whatever": 1}])")),
            "stages[0].type: unknown stage type \"linez\"; known: checksum, filter, lines, parse, "
            "select");
}

TEST(PipelineConfigTest, UnknownSinkType) {
  EXPECT_EQ(LoadError(Pipeline("[" + std::string(kLines) + "]",
                               R"([{"name": "out", "type": "csv", "input": "lines"}])")),
            "sinks[0].type: unknown sink type \"csv\"; known: json, manifest, null");
}

TEST(PipelineConfigTest, UnknownKeyInEngine) {
  EXPECT_EQ(LoadError(kExample, {"source.engine.colour=1"}),
            "source.engine.colour: unknown key; known: buffer_size, buffers, direct, queue_depth, "
            "sqpoll, threads");
}

TEST(PipelineConfigTest, UnknownKeysAreReportedWithTheirPaths) {
  const std::string doc = R"({"source": {"paths": ["a"], "colour": 1,
                                         "engine": {"colour": 1}},
      "stages": [{"name": "lines", "type": "lines", "format": "x"},
                 {"name": "p", "type": "parse", "input": "lines", "format": "json", "odd key": 1}],
      "sinks": [{"name": "n", "type": "null", "input": "p", "path": "x"}],
      "colour": 1})";
  EXPECT_EQ(
      LoadError(doc),
      "colour: unknown key; known: ordered, plugins, sinks, source, stages\n"
      "source.colour: unknown key; known: decode_threads, engine, exclude, include, max_ratio, "
      "order, paths, recursive, shard\n"
      "source.engine.colour: unknown key; known: buffer_size, buffers, direct, queue_depth, "
      "sqpoll, threads\n"
      "stages[0].format: unknown key; known: max_line_bytes, name, type\n"
      "stages[1][\"odd key\"]: unknown key; known: format, input, name, pattern, type\n"
      "sinks[0].path: unknown key; known: input, name, type");
}

TEST(PipelineConfigTest, InputMustNameAnEarlierStage) {
  const std::string base =
      std::string("[") + std::string(kLines) +
      R"(, {"name": "parsed", "type": "parse", "input": "lines", "format": "raw"},
      {"name": "errors", "type": "filter", "input": )";
  EXPECT_EQ(LoadError(Pipeline(base + R"("parsd", "where": "x"}])")),
            "stages[2].input: unknown stage \"parsd\"; known: lines, parsed");
  EXPECT_EQ(LoadError(Pipeline(base + R"("errors", "where": "x"}])")),
            "stages[2].input: stage \"errors\" cannot read its own output");
  EXPECT_EQ(LoadError(Pipeline(base + R"("later", "where": "x"},
      {"name": "later", "type": "filter", "input": "errors", "where": "y"}])")),
            "stages[2].input: stage \"later\" is defined later (stages[3]); a stage reads only "
            "stages defined before it");
  EXPECT_EQ(LoadError(Pipeline(R"([{"name": "f", "type": "filter", "input": "x", "where": "y"}])")),
            "stages[0].input: unknown stage \"x\"; no stage is defined before it\n"
            "sinks[0].input: unknown stage \"lines\"; known: f");
}

TEST(PipelineConfigTest, SinkInputMayNameAnyStage) {
  ASSERT_OK(LoadPipeline(kExample, StageTypes(), SinkTypes(), {"sinks[1].input=\"lines\""}));
  EXPECT_EQ(LoadError(kExample, {"sinks[0].input=out"}),
            "sinks[0].input: unknown stage \"out\"; known: errors, lines, parsed, sums");
  EXPECT_EQ(LoadError(Pipeline("[]")),
            "sinks[0].input: unknown stage \"lines\"; the pipeline has no stages");
}

TEST(PipelineConfigTest, InputMayBeAnArray) {
  ASSERT_OK_AND_ASSIGN(PipelineConfig config,
                       LoadPipeline(kExample, StageTypes(), SinkTypes(),
                                    {R"(sinks[0].input=["errors", "parsed"])"}));
  EXPECT_EQ(config.sinks[0].inputs, (std::vector<std::string>{"errors", "parsed"}));
  EXPECT_EQ(LoadError(kExample, {R"(sinks[1].input=["sums", "lines"])"}),
            "sinks[1].input: \"manifest\" takes one input, got 2");
  EXPECT_EQ(LoadError(kExample, {"sinks[0].input=[]"}), "sinks[0].input: must not be empty");
  EXPECT_EQ(LoadError(kExample, {R"(sinks[0].input=["errors", 3, "nope"])"}),
            "sinks[0].input[1]: expected a stage name, got 3\n"
            "sinks[0].input[2]: unknown stage \"nope\"; known: errors, lines, parsed, sums");
  EXPECT_EQ(LoadError(kExample, {"sinks[0].input={}"}),
            "sinks[0].input: expected a stage name or an array of them, got an object");
}

TEST(PipelineConfigTest, InputRules) {
  EXPECT_EQ(LoadError(kExample, {"stages[3].input=lines"}),
            "stages[3].input: \"checksum\" reads the source and takes no input");
  EXPECT_EQ(LoadError(Pipeline(std::string("[") + std::string(kLines) +
                               R"(, {"name": "f", "type": "filter", "where": "y"}])")),
            "stages[1]: missing \"input\"");
}

TEST(PipelineConfigTest, DuplicateNamesAndKeys) {
  EXPECT_EQ(LoadError(kExample,
                      {"stages[2].name=parsed", "sinks[0].input=parsed", "sinks[1].name=lines"}),
            "stages[2].name: duplicate name \"parsed\"; first defined at stages[1]\n"
            "sinks[1].name: duplicate name \"lines\"; first defined at stages[0]");
  EXPECT_EQ(LoadError(Pipeline(R"([{"name": "lines", "type": "lines", "name": "again"}])")),
            "stages[0].name: duplicate key");
}

TEST(PipelineConfigTest, MissingRequiredKeys) {
  EXPECT_EQ(LoadError(Pipeline(std::string("[") + std::string(kLines) +
                               R"(, {"name": "p", "type": "parse", "input": "lines"}])")),
            "stages[1]: missing \"format\"");
  EXPECT_EQ(LoadError(Pipeline(R"([{"type": "lines"}, {"name": "x"}])")),
            "stages[0]: missing \"name\"\n"
            "stages[1]: missing \"type\"");
  EXPECT_EQ(LoadError(R"({"stages": []})"),
            "(root): missing \"source\"\n(root): missing \"sinks\"");
  EXPECT_EQ(LoadError(R"({"source": {}, "sinks": [{"name": "s", "type": "null", "input": "x"}]})"),
            "source: missing \"paths\"\n"
            "sinks[0].input: unknown stage \"x\"; the pipeline has no stages");
}

TEST(PipelineConfigTest, WrongJsonTypes) {
  EXPECT_EQ(LoadError(kExample, {"source.engine.buffers=x"}),
            "source.engine.buffers: expected an integer, got \"x\"");
  EXPECT_EQ(LoadError(kExample, {"source.engine.buffers=8.5"}),
            "source.engine.buffers: expected an integer, got 8.5");
  EXPECT_EQ(LoadError(kExample, {"source.recursive=yes"}),
            "source.recursive: expected true or false, got \"yes\"");
  EXPECT_EQ(LoadError(kExample, {"source.include=\"*.log\""}),
            "source.include: expected an array of strings, got \"*.log\"");
  EXPECT_EQ(LoadError(kExample, {"source.exclude=[\"a\", 1]"}),
            "source.exclude[1]: expected a string, got 1");
  EXPECT_EQ(LoadError(kExample, {"stages[2].where=null"}),
            "stages[2].where: expected a string, got null");
  EXPECT_EQ(LoadError(kExample, {"stages[0].name=7"}), "stages[0].name: expected a string, got 7");
  EXPECT_EQ(LoadError(kExample, {"source.engine=[]"}),
            "source.engine: expected an object, got an array");
  EXPECT_EQ(LoadError(kExample, {"stages=3"}), "stages: expected an array, got 3");
  EXPECT_EQ(LoadError(kExample, {"stages[1]=\"parse\""}),
            "stages[1]: expected an object, got \"parse\"");  // no echo in stages[2].input
  EXPECT_EQ(LoadError("[1, 2]"), "(root): expected an object, got an array");
}

TEST(PipelineConfigTest, LongStringsAreCutInMessages) {
  const std::string message =
      LoadError(kExample, {"source.engine.buffers=" + std::string(300, 'x')});
  EXPECT_EQ(message, "source.engine.buffers: expected an integer, got \"" +
                         std::string(kMaxQuotedBytes, 'x') + "\xE2\x80\xA6\"");
}

// Every line of `message` is under 1,000 bytes and starts with a JSON path (or an override).
void ExpectShortLinesWithPaths(const std::string& message, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_FALSE(message.empty());
  std::size_t start = 0;
  while (start <= message.size()) {
    std::size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    const std::string line = message.substr(start, end - start);
    EXPECT_LT(line.size(), 1000u) << line.substr(0, 300);
    const bool has_path = line.starts_with("(root): ") || line.starts_with("source") ||
                          line.starts_with("stages") || line.starts_with("sinks") ||
                          line.starts_with("override ") || line.starts_with("line ");
    EXPECT_TRUE(has_path) << line.substr(0, 300);
    EXPECT_NE(line.find(": "), std::string::npos) << line.substr(0, 300);
    start = end + 1;
  }
}

TEST(PipelineConfigTest, HugeStringsInEveryKindOfFieldGiveShortLines) {
  const std::string huge(10 << 20, 'x');             // 10 MiB
  const std::string huge_json = "\"" + huge + "\"";  // as a JSON string
  const std::string lines = std::string(kLines);
  struct Case {
    const char* what;
    std::string json;
    std::vector<std::string> overrides;
  };
  const std::string null_sink = R"([{"name": "out", "type": "null", "input": "lines"}])";
  const std::vector<Case> cases = {
      {"int field", std::string(kExample), {"source.engine.buffers=" + huge}},
      {"size field", std::string(kExample), {"source.engine.buffer_size=" + huge_json}},
      {"bool field", std::string(kExample), {"source.recursive=" + huge_json}},
      {"string list", std::string(kExample), {"source.paths=" + huge_json}},
      {"list item", std::string(kExample), {"source.include=[1, " + huge_json + "]"}},
      {"enum field", std::string(kExample), {"stages[1].format=" + huge_json}},
      {"stage type", std::string(kExample), {"stages[2].type=" + huge_json}},
      {"stage input", std::string(kExample), {"stages[2].input=" + huge_json}},
      {"sink input list", std::string(kExample), {"sinks[0].input=[" + huge_json + "]"}},
      {"unknown key", std::string(kExample), {"stages[0]." + huge + "=1"}},
      {"unknown odd key", std::string(kExample), {"stages[0]." + huge + "!=1"}},
      {"object expected", std::string(kExample), {"source.engine=" + huge_json}},
      {"override without =", std::string(kExample), {huge}},
      {"override bad path", std::string(kExample), {huge + "[x]=1"}},
      {"override missing index", std::string(kExample), {"stages[99]." + huge + "=1"}},
      {"name in document",
       Pipeline("[" + lines + R"(, {"name": )" + huge_json +
                R"(, "type": "parse", "input": "lines", "format": "raw"}, {"name": )" + huge_json +
                R"(, "type": "parse", "input": "lines", "format": "raw"}])"),
       {}},
      {"type in document",
       Pipeline("[" + lines + "]",
                R"([{"name": "o", "type": )" + huge_json + R"(, "input": "lines"}])"),
       {}},
      {"key in document",
       Pipeline("[" + lines + "]",
                R"([{"name": "o", "type": "null", "input": "lines", )" + huge_json + ": 1}]"),
       {}},
      {"control bytes",
       std::string(kExample),
       {"stages[1].format=\"" + std::string(1 << 20, '\x01') + "\""}},
  };
  for (const Case& c : cases) ExpectShortLinesWithPaths(LoadError(c.json, c.overrides), c.what);
}

TEST(PipelineConfigTest, ListsOfKnownNamesAreBounded) {
  // 2,000 stages with 100-byte names; a sink names one that does not exist.
  std::string stages = "[" + std::string(kLines);
  for (int i = 0; i < 2000; ++i) {
    stages += R"(, {"name": ")" + std::string(96, 'n') + std::to_string(1000 + i) +
              R"(", "type": "parse", "input": "lines", "format": "raw"})";
  }
  stages += "]";
  const std::string message =
      LoadError(Pipeline(stages, R"([{"name": "o", "type": "null", "input": "nope"}])"));
  ExpectShortLinesWithPaths(message, "known stages");
  EXPECT_NE(message.find("sinks[0].input: unknown stage \"nope\"; known: "), std::string::npos)
      << message.substr(0, 300);
  EXPECT_NE(message.find(" more)"), std::string::npos) << message.substr(0, 1000);
}

TEST(PipelineConfigTest, AStageListedTwiceNamesItsPath) {
  EXPECT_EQ(LoadError(Pipeline("[" + std::string(kLines) + "]",
                               R"([{"name": "x", "type": "null", "input": ["lines", "lines"]}])")),
            "sinks[0].input[1]: stage \"lines\" is listed twice (first at sinks[0].input[0])");
}

// `depth` arrays nested in each other: "[[[...]]]".
std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(PipelineConfigTest, DeepValuesAreRefusedWithTheirPath) {
  // A 60,000-deep override value: copying it into the document used to recurse 60,000 deep.
  std::string message = LoadError(kExample, {"sinks[0].extra=" + Nested(60000)});
  ExpectShortLinesWithPaths(message, "deep override");
  EXPECT_NE(message.find(": the value at sinks[0].extra[0][0]"), std::string::npos) << message;
  EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
  // The same in the document itself.
  message = LoadError(
      Pipeline("[" + std::string(kLines) + "]",
               R"([{"name": "o", "type": "null", "input": "lines", "x": )" + Nested(60000) + "}]"));
  ExpectShortLinesWithPaths(message, "deep document");
  EXPECT_TRUE(message.starts_with("sinks[0].x[0][0]")) << message;
  EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
  // The limit exactly: the root is level 1, sinks 2, the sink 3, so "x" may hold 61 levels.
  const auto with_x = [](std::size_t depth) {
    return Pipeline(
        "[" + std::string(kLines) + "]",
        R"([{"name": "o", "type": "null", "input": "lines", "x": )" + Nested(depth) + "}]");
  };
  EXPECT_EQ(LoadError(with_x(61)), "sinks[0].x: unknown key; known: input, name, type");
  std::string at_limit = "sinks[0].x";
  for (int i = 0; i < 61; ++i) at_limit += "[0]";
  EXPECT_EQ(LoadError(with_x(62)),
            at_limit + ": nested deeper than 64 levels (the limit of a pipeline document)");
  // An override's value counts from where it lands; its path counts too.
  EXPECT_EQ(LoadError(kExample, {"sinks[0].extra=" + Nested(61)}),
            "sinks[0].extra: unknown key; known: input, name, path, pretty, type");
  EXPECT_NE(LoadError(kExample, {"sinks[0].extra=" + Nested(62)}).find("nested deeper"),
            std::string::npos);
  std::string long_path = "a";
  for (int i = 0; i < 100; ++i) long_path += ".a";
  message = LoadError(kExample, {long_path + "=1"});
  EXPECT_NE(message.find("the path is 101 levels deep; nested deeper than 64"), std::string::npos)
      << message;
  // A document's plugins() sees the overrides too, which must not recurse there either.
  EXPECT_EQ(PipelineDocument::Parse(kExample, {"sinks[0].x=" + Nested(60000)}).plugins().size(),
            1u);
}

TEST(PipelineConfigTest, OutOfRangeNumbers) {
  EXPECT_EQ(LoadError(kExample, {"source.engine.buffers=1"}),
            "source.engine.buffers: 1 is out of range; must be between 2 and 65536");
  EXPECT_EQ(LoadError(kExample, {"source.engine.queue_depth=100000"}),
            "source.engine.queue_depth: 100000 is out of range; must be between 1 and 4096");
  EXPECT_EQ(LoadError(kExample, {"source.engine.threads=18446744073709551615"}),
            "source.engine.threads: 18446744073709551615 is out of range");
  EXPECT_EQ(LoadError(kExample, {"source.engine.buffer_size=\"2K\""}),
            "source.engine.buffer_size: 2KiB is out of range; must be between 4KiB and 1GiB");
  EXPECT_EQ(LoadError(kExample, {"source.engine.buffer_size=6000"}),
            "source.engine.buffer_size: 6000 is not a multiple of 4KiB");
  EXPECT_EQ(LoadError(kExample, {"source.engine.buffer_size=1G"}),
            "source.engine: buffers x buffer_size must stay within 1GiB per thread (64 x 1GiB)");
}

TEST(PipelineConfigTest, SourceNeedsPathsAndPipelineNeedsSinks) {
  EXPECT_EQ(LoadError(kExample, {"source.paths=[]"}), "source.paths: must not be empty");
  EXPECT_EQ(LoadError(kExample, {"source.paths=[\"a\", \"\"]"}),
            "source.paths[1]: must not be empty");
  EXPECT_EQ(LoadError(kExample, {"sinks=[]"}),
            "sinks: must not be empty; a pipeline needs at least one sink");
}

TEST(PipelineConfigTest, ReportsEveryProblemAtOnce) {
  const std::string doc = R"({
  "source": {"paths": [], "engine": {"buffers": "x", "colour": 1}},
  "stages": [{"name": "lines", "type": "linez"},
             {"name": "p", "type": "parse", "input": "lines", "format": "acces"},
             {"name": "p", "type": "filter", "input": "parsd"},
             {"name": "s", "type": "select", "input": "p", "fields": "a"}],
  "sinks": [{"name": "out", "type": "json", "input": "nope"}],
  "ordered": "yes",
  "extra": 1
})";
  const std::string message = LoadError(doc);
  EXPECT_EQ(message,
            "ordered: expected true or false, got \"yes\"\n"
            "extra: unknown key; known: ordered, plugins, sinks, source, stages\n"
            "source.engine.buffers: expected an integer, got \"x\"\n"
            "source.engine.colour: unknown key; known: buffer_size, buffers, direct, queue_depth, "
            "sqpoll, threads\n"
            "source.paths: must not be empty\n"
            "stages[0].type: unknown stage type \"linez\"; known: checksum, filter, lines, parse, "
            "select\n"
            "stages[1].format: unknown format \"acces\"; known: access, json, syslog, logfmt, "
            "regex, raw\n"
            "stages[2].name: duplicate name \"p\"; first defined at stages[1]\n"
            "stages[2].input: unknown stage \"parsd\"; known: lines, p\n"
            "stages[2]: missing \"where\"\n"
            "stages[3].fields: expected an array of strings, got \"a\"\n"
            "sinks[0].input: unknown stage \"nope\"; known: lines, p, s\n"
            "sinks[0]: missing \"path\"");
  EXPECT_EQ(CountLines(message), 13u);
}

TEST(PipelineConfigTest, SyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(LoadError("{\n  \"source\": {\"paths\": [\"a\"]}\n  \"sinks\": []\n}"),
            "line 3, column 3: syntax error: missing a comma or '}' after an object member");
  EXPECT_EQ(LoadError("{\"a\": \"\xc3\xa9\xc3\xa9\" x}"),
            "line 1, column 12: syntax error: missing a comma or '}' after an object member");
  EXPECT_EQ(LoadError(""), "line 1, column 1: syntax error: the document is empty");
  // Deep nesting is parsed without recursion: an error, not a stack overflow.
  EXPECT_EQ(LoadError(std::string(1000000, '[')),
            "line 1, column 1000001: syntax error: invalid value");
  EXPECT_EQ(LoadError("{} {}"),
            "line 1, column 4: syntax error: the document root must not be followed by other "
            "values");
}

TEST(PipelineConfigTest, OverridesSetValues) {
  ASSERT_OK_AND_ASSIGN(
      PipelineConfig config,
      LoadPipeline(kExample, StageTypes(), SinkTypes(),
                   {"source.engine.buffers=8", "stages[1].format=json", "sinks[0].path=out.ndjson",
                    "source.engine.buffer_size=64K", "source.paths=[\"a\", \"b\"]", "ordered=false",
                    "stages[2].where=\"quoted\"", "sinks[0].path=again.ndjson"}));
  EXPECT_EQ(config.source.engine.buffers, 8u);
  EXPECT_EQ(*config.stages[1].GetString("format"), "json");
  EXPECT_EQ(*config.sinks[0].GetString("path"), "again.ndjson");  // the last one wins
  EXPECT_EQ(config.source.engine.buffer_size, 65536u);
  EXPECT_EQ(config.source.paths, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(config.ordered);
  EXPECT_EQ(*config.stages[2].GetString("where"), "quoted");
}

TEST(PipelineConfigTest, OverridesCreateMissingKeys) {
  ASSERT_OK_AND_ASSIGN(PipelineConfig config,
                       LoadPipeline(kExample, StageTypes(), SinkTypes(),
                                    {"stages[1].pattern=^x", "sinks[0].pretty=true",
                                     "source.engine.direct=true", "stages[2].where="}));
  EXPECT_EQ(*config.stages[1].GetString("pattern"), "^x");
  EXPECT_EQ(config.sinks[0].GetBool("pretty"), true);
  EXPECT_TRUE(config.source.engine.direct);
  EXPECT_EQ(*config.stages[2].GetString("where"), "");
  // A created key is validated like any other.
  EXPECT_EQ(LoadError(kExample, {"source.engine.colour=red"}).substr(0, 34),
            "source.engine.colour: unknown key;");
}

TEST(PipelineConfigTest, OverrideCreatesMissingObjectsOnThePath) {
  // No "engine" in the document: the override creates it (as `ringflow replay --threads` does).
  auto config = LoadPipeline(Pipeline("[" + std::string(kLines) + "]"), StageTypes(), SinkTypes(),
                             {"source.engine.threads=2", "source.engine.direct=true"});
  ASSERT_OK(config);
  EXPECT_EQ(config->source.engine.threads, 2u);
  EXPECT_TRUE(config->source.engine.direct);
}

TEST(PipelineConfigTest, OverrideWithBadPathIsAnError) {
  EXPECT_EQ(LoadError(kExample, {"stages[9].format=json", "source.engine.nested.x=1",
                                 "source.paths.x=1", "source.paths[0].x=1", "stages[x].a=1",
                                 "stages..a=1", "=1", "no_equals_sign"}),
            "override \"stages[9].format=json\": stages[9] does not exist (stages has 4 entries)\n"
            "override \"source.paths.x=1\": source.paths is an array, not an object\n"
            "override \"source.paths[0].x=1\": source.paths[0] is \"logs/\", not an object\n"
            "override \"stages[x].a=1\": bad path \"stages[x].a\" (expected keys and [indexes], "
            "e.g. \"stages[1].format\")\n"
            "override \"stages..a=1\": bad path \"stages..a\" (expected keys and [indexes], e.g. "
            "\"stages[1].format\")\n"
            "override \"=1\": bad path \"\" (expected keys and [indexes], e.g. "
            "\"stages[1].format\")\n"
            "override \"no_equals_sign\": expected <path>=<value>\n"
            // A missing object on the way is created, and validation judges it.
            "source.engine.nested: unknown key; known: buffer_size, buffers, direct, queue_depth, "
            "sqpoll, threads");
}

TEST(PipelineConfigTest, OverrideCanCauseTypeErrors) {
  const std::string message = LoadError(
      kExample, {"source.engine.threads=many", "sinks[1].path=[1]", "stages[0].type=parse"});
  EXPECT_EQ(message,
            "source.engine.threads: expected an integer, got \"many\"\n"
            "stages[0].max_line_bytes: unknown key; known: format, input, name, pattern, type\n"
            "stages[0]: missing \"input\"\n"
            "stages[0]: missing \"format\"\n"
            "sinks[1].path: expected a string, got an array");
  EXPECT_EQ(CountLines(message), 5u);
}

TEST(PipelineConfigTest, LoadsAFile) {
  testing::TempDir dir;
  const std::string path = dir.Join("pipeline.json");
  testing::WriteFile(path, kExample);
  ASSERT_OK_AND_ASSIGN(PipelineConfig config, LoadPipelineFile(path, StageTypes(), SinkTypes(),
                                                               {"source.engine.threads=4"}));
  EXPECT_EQ(config.source.engine.threads, 4u);

  testing::WriteFile(path, "{\"source\": 1}");
  const auto bad = LoadPipelineFile(path, StageTypes(), SinkTypes());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().path(), path);
  EXPECT_EQ(bad.error().message(), "source: expected an object, got 1\n(root): missing \"sinks\"");
}

TEST(PipelineConfigTest, MissingFileIsOneErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.Join("nope.json");
  const auto result = LoadPipelineFile(path, StageTypes(), SinkTypes());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(),
            "read pipeline " + path + ": No such file or directory (ENOENT)");
  const auto directory = LoadPipelineFile(dir.path(), StageTypes(), SinkTypes());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code(), ErrorCode::kIsDirectory);
}

TEST(PipelineConfigTest, CatalogRefusesDuplicatesAndBadSpecs) {
  TypeCatalog catalog = StageTypes();
  const Status dup = catalog.Add({"lines", "again", {}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().message(), "type \"lines\": already in the catalog");
  EXPECT_EQ(catalog.Names(),
            (std::vector<std::string>{"checksum", "filter", "lines", "parse", "select"}));
  ASSERT_NE(catalog.Find("parse"), nullptr);
  EXPECT_EQ(catalog.Find("parse")->params[0].name, "format");
  EXPECT_EQ(catalog.Find("nope"), nullptr);

  auto add = [&](TypeSpec spec) {
    const Status s = catalog.Add(std::move(spec));
    return s.ok() ? std::string() : s.error().message();
  };
  EXPECT_EQ(add({"", "", {}}), "a type needs a name");
  EXPECT_EQ(add({"a", "", {Param("input", ParamType::kString)}}),
            "type \"a\": parameter \"input\" is reserved");
  EXPECT_EQ(add({"a", "", {Param("x", ParamType::kInt), Param("x", ParamType::kBool)}}),
            "type \"a\": duplicate parameter \"x\"");
  EXPECT_EQ(add({"a", "", {Param("x", ParamType::kEnum)}}),
            "type \"a\": parameter \"x\" is an enum without choices");
  EXPECT_EQ(add({"a", "", {Param("x", ParamType::kSize, false, "1Mb!")}}),
            "type \"a\": parameter \"x\" has a bad default: not a size: \"1Mb!\"");
  EXPECT_EQ(add({"a", "", {Param("x", ParamType::kEnum, false, "c", {"a", "b"})}}),
            "type \"a\": parameter \"x\" has a bad default: \"c\" is not one of a, b");
  ParamSpec ranged = Param("x", ParamType::kInt, false, "0");
  ranged.min = 1;
  EXPECT_EQ(add({"a", "", {ranged}}),
            "type \"a\": parameter \"x\" has a bad default: 0 is out of range; must be at least 1");
  EXPECT_EQ(catalog.Find("a"), nullptr);
  EXPECT_EQ(add({"a", "", {Param("x", ParamType::kStringList, false, " p, q ,")}}), "");
}

TEST(PipelineConfigTest, StringListDefaultsAreCommaSeparated) {
  TypeCatalog sinks = SinkTypes();
  ASSERT_OK(sinks.Add({"tee", "", {Param("fields", ParamType::kStringList, false, "a, b")}}));
  ASSERT_OK_AND_ASSIGN(PipelineConfig config, LoadPipeline(kExample, StageTypes(), sinks,
                                                           {"sinks[1]={\"name\": \"t\", "
                                                            "\"type\": \"tee\", "
                                                            "\"input\": \"sums\"}"}));
  ASSERT_NE(config.sinks[1].GetStringList("fields"), nullptr);
  EXPECT_EQ(*config.sinks[1].GetStringList("fields"), (std::vector<std::string>{"a", "b"}));
}

TEST(PipelineConfigTest, DescribesTheCatalog) {
  const std::string text = DescribeCatalog(StageTypes());
  EXPECT_EQ(text.substr(0, text.find("filter")),
            "checksum: Hashes every file.\n"
            "  input: none (reads the source)\n"
            "  algorithm (enum: xxh3_64, xxh3_128; default xxh3_64)\n"
            "\n");
  EXPECT_NE(text.find("lines: Splits chunks into lines.\n"
                      "  input: none (reads the source)\n"
                      "  max_line_bytes (size; default 1MiB; 1..1GiB): longest line kept "
                      "whole\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parse: Parses lines into records.\n"
                      "  input: one stage\n"
                      "  format (enum: access, json, syslog, logfmt, regex, raw; required): record "
                      "format\n"
                      "  pattern (string; optional)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(DescribeCatalog(SinkTypes())
                .find("json: One JSON object per record.\n"
                      "  input: one or more stages\n"
                      "  path (string; required)\n"
                      "  pretty (bool; default false)\n"),
            std::string::npos);
}

std::vector<std::string> PluginsOf(std::string_view json,
                                   const std::vector<std::string>& overrides = {}) {
  return PipelineDocument::Parse(json, overrides).plugins();
}

TEST(PipelineConfigTest, DocumentPluginsAreTolerant) {
  EXPECT_EQ(PluginsOf(R"({"plugins": ["./a.so", "/b/c.so"], "stages": 3})"),
            (std::vector<std::string>{"./a.so", "/b/c.so"}));
  EXPECT_EQ(PluginsOf(R"({"plugins": []})", {R"(plugins=["x.so"])"}),
            std::vector<std::string>{"x.so"});
  // Broken documents and lists give nothing; Validate reports them.
  EXPECT_TRUE(PluginsOf(R"({"plugins": ["a.so")").empty());
  EXPECT_TRUE(PluginsOf(R"({"plugins": ["a.so", 1]})").empty());
  EXPECT_TRUE(PluginsOf(R"({"plugins": "a.so"})").empty());
  EXPECT_TRUE(PluginsOf(R"([1, 2])").empty());
  EXPECT_TRUE(PluginsOf(R"({"source": {}})").empty());
  EXPECT_TRUE(PipelineDocument::ReadFile("/nonexistent/pipeline.json").plugins().empty());
}

TEST(PipelineConfigTest, DocumentValidatesAsLoadPipeline) {
  const std::vector<std::string> overrides = {"source.engine.threads=many", "nope",
                                              "stages[9].x=1"};
  const PipelineDocument doc = PipelineDocument::Parse(kExample, overrides);
  EXPECT_EQ(doc.plugins(), std::vector<std::string>{"./libmy_stage.so"});
  const auto first = doc.Validate(StageTypes(), SinkTypes());
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message(), LoadError(kExample, overrides));
  EXPECT_TRUE(first.error().path().empty());
  // Validate keeps nothing between calls: the same problems, not twice as many.
  const auto second = doc.Validate(StageTypes(), SinkTypes());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message(), first.error().message());

  const auto syntax =
      PipelineDocument::Parse("{\n  \"plugins\": [,]}").Validate(StageTypes(), SinkTypes());
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().message(), LoadError("{\n  \"plugins\": [,]}"));
  EXPECT_EQ(syntax.error().message(), "line 2, column 15: syntax error: invalid value");
}

TEST(PipelineConfigTest, DocumentTooDeepStillSeesOverridesInPlugins) {
  const std::string deep = R"({"plugins": ["a.so"], "x": )" + Nested(kMaxNestingDepth) + "}";
  const PipelineDocument doc = PipelineDocument::Parse(deep, {R"(plugins=["b.so"])", "bad"});
  EXPECT_EQ(doc.plugins(), std::vector<std::string>{"b.so"});
  const auto result = doc.Validate(StageTypes(), SinkTypes());
  ASSERT_FALSE(result.ok());
  // The depth is the one problem: the bad override is not reported beside it.
  EXPECT_EQ(CountLines(result.error().message()), 1u);
  EXPECT_NE(result.error().message().find("nested deeper than 64 levels"), std::string::npos);
}

TEST(PipelineConfigTest, DocumentFileIsReadOnce) {
  testing::TempDir dir;
  const std::string path = dir.Join("pipeline.json");
  testing::WriteFile(path, kExample);
  const PipelineDocument doc = PipelineDocument::ReadFile(path, {"sinks[0].path=first.ndjson"});
  // What is on disk from now on is never seen: plugins() and Validate use the text read above.
  testing::WriteFile(path, R"({"plugins": ["./other.so"], "source": 1})");
  EXPECT_EQ(doc.plugins(), std::vector<std::string>{"./libmy_stage.so"});
  std::filesystem::remove(path);
  ASSERT_OK_AND_ASSIGN(PipelineConfig config, doc.Validate(StageTypes(), SinkTypes()));
  EXPECT_EQ(config.plugins, std::vector<std::string>{"./libmy_stage.so"});
  ASSERT_NE(config.sinks[0].GetString("path"), nullptr);
  EXPECT_EQ(*config.sinks[0].GetString("path"), "first.ndjson");

  // A file that could not be read stays unread, and its error keeps no path (as
  // LoadPipelineFile's); a document's other errors have the path.
  const PipelineDocument missing = PipelineDocument::ReadFile(path);
  testing::WriteFile(path, kExample);
  const auto unread = missing.Validate(StageTypes(), SinkTypes());
  ASSERT_FALSE(unread.ok());
  EXPECT_EQ(unread.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unread.error().message(),
            "read pipeline " + path + ": No such file or directory (ENOENT)");
  EXPECT_TRUE(unread.error().path().empty());
  const PipelineDocument bad = PipelineDocument::ReadFile(path, {"source=1"});
  const auto invalid = bad.Validate(StageTypes(), SinkTypes());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().path(), path);
  EXPECT_EQ(invalid.error().message(), "source: expected an object, got 1");
}

}  // namespace
}  // namespace ringflow::config
