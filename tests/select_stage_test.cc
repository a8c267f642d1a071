// Tests for the `select` stage: keep, drop and rename alone and together (applied in that
// order, fields keeping their order), names owned by the stage, failed records left alone,
// validation messages and the registry entry.
#include "stages/select_stage.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using flow::Field;
using flow::Record;
using flow::Value;
using Strings = std::vector<std::string>;

// A batch of one parsed record with fields a=1, b=2, c=3, d=4 (or `fields`).
flow::RecordBatch OneRecord(std::vector<Field> fields = {{"a", Value::Int(1)},
                                                         {"b", Value::Int(2)},
                                                         {"c", Value::Int(3)},
                                                         {"d", Value::Int(4)}}) {
  flow::RecordBatch batch;
  Record record;
  record.raw = "line";
  record.fields.assign(fields.begin(), fields.end());
  batch.records.push_back(std::move(record));
  return batch;
}

// "name=value" for every field; values are the test's integers.
Strings Describe(const Record& record) {
  Strings out;
  for (const Field& f : record.fields) {
    out.push_back(std::string(f.name) + "=" + std::to_string(f.value.i));
  }
  return out;
}

std::unique_ptr<SelectStage> Make(SelectOptions options) {
  auto stage = SelectStage::Create(std::move(options));
  EXPECT_TRUE(stage.ok()) << (stage.ok() ? "" : stage.error().message());
  return stage.ok() ? std::move(stage).value() : nullptr;
}

// The fields of the one record after `options`.
Strings Apply(SelectOptions options) {
  auto stage = Make(std::move(options));
  if (stage == nullptr) return {"(no stage)"};
  flow::RecordBatch batch = OneRecord();
  stage->Process(batch);
  return Describe(batch.records[0]);
}

std::string ErrorOf(SelectOptions options) {
  auto stage = SelectStage::Create(std::move(options));
  if (stage.ok()) return "(created)";
  EXPECT_EQ(stage.error().code(), ErrorCode::kInvalidArgument);
  return stage.error().message();
}

TEST(SelectStageTest, KeepKeepsTheRecordsOrder) {
  EXPECT_EQ(Apply({.keep = Strings{"d", "b"}}), (Strings{"b=2", "d=4"}));
  EXPECT_EQ(Apply({.keep = Strings{"a", "b", "c", "d"}}), (Strings{"a=1", "b=2", "c=3", "d=4"}));
  EXPECT_EQ(Apply({.keep = Strings{"c", "nope"}}), (Strings{"c=3"}));
}

TEST(SelectStageTest, KeepAnEmptyListKeepsNothing) {
  EXPECT_EQ(Apply({.keep = Strings{}}), Strings{});
}

TEST(SelectStageTest, KeepKeepsEveryDuplicate) {
  auto stage = Make({.keep = Strings{"a"}});
  flow::RecordBatch batch =
      OneRecord({{"a", Value::Int(1)}, {"b", Value::Int(2)}, {"a", Value::Int(3)}});
  stage->Process(batch);
  EXPECT_EQ(Describe(batch.records[0]), (Strings{"a=1", "a=3"}));
}

TEST(SelectStageTest, DropRemovesNamedFields) {
  EXPECT_EQ(Apply({.drop = Strings{"b", "nope"}}), (Strings{"a=1", "c=3", "d=4"}));
  EXPECT_EQ(Apply({.drop = Strings{"a", "b", "c", "d"}}), Strings{});
  EXPECT_EQ(Apply({.drop = Strings{}}), (Strings{"a=1", "b=2", "c=3", "d=4"}));
}

TEST(SelectStageTest, RenameKeepsPositionAndValue) {
  EXPECT_EQ(Apply({.rename = Strings{"b=beta"}}), (Strings{"a=1", "beta=2", "c=3", "d=4"}));
  EXPECT_EQ(Apply({.rename = Strings{"nope=x"}}), (Strings{"a=1", "b=2", "c=3", "d=4"}));
  // Split at the first '=': the new name may hold one.
  EXPECT_EQ(Apply({.rename = Strings{"a=x=y"}}), (Strings{"x=y=1", "b=2", "c=3", "d=4"}));
}

TEST(SelectStageTest, RenamesApplyTogether) {
  // A swap, and no chain: a -> b does not go on to b -> c.
  EXPECT_EQ(Apply({.rename = Strings{"a=b", "b=a"}}), (Strings{"b=1", "a=2", "c=3", "d=4"}));
  EXPECT_EQ(Apply({.rename = Strings{"a=b", "b=c"}}), (Strings{"b=1", "c=2", "c=3", "d=4"}));
}

TEST(SelectStageTest, RenameOntoAnExistingNameKeepsBoth) {
  EXPECT_EQ(Apply({.rename = Strings{"a=c"}}), (Strings{"c=1", "b=2", "c=3", "d=4"}));
}

TEST(SelectStageTest, KeepThenDropThenRename) {
  EXPECT_EQ(Apply({.keep = Strings{"a", "b", "c"},
                   .drop = Strings{"b"},
                   .rename = Strings{"a=alpha", "b=beta", "c=gamma"}}),
            (Strings{"alpha=1", "gamma=3"}));
  // keep and drop see the names before the rename.
  EXPECT_EQ(Apply({.keep = Strings{"z"}, .rename = Strings{"a=z"}}), Strings{});
  EXPECT_EQ(Apply({.keep = Strings{"a"}, .rename = Strings{"a=z"}}), (Strings{"z=1"}));
  EXPECT_EQ(Apply({.drop = Strings{"a"}, .rename = Strings{"a=b"}}),
            (Strings{"b=2", "c=3", "d=4"}));
  EXPECT_EQ(Apply({.drop = Strings{"z"}, .rename = Strings{"a=z"}}),
            (Strings{"z=1", "b=2", "c=3", "d=4"}));
  // A field both kept and dropped goes.
  EXPECT_EQ(Apply({.keep = Strings{"a", "d"}, .drop = Strings{"d"}}), (Strings{"a=1"}));
}

TEST(SelectStageTest, NewNamesLiveInTheStage) {
  std::unique_ptr<SelectStage> stage;
  {
    // The options' strings die here; the names in the records must not point into them.
    Strings rename = {std::string("a=") + std::string(40, 'n'), "b=s"};
    stage = Make({.rename = std::move(rename)});
  }
  ASSERT_NE(stage, nullptr);
  flow::RecordBatch batch = OneRecord();
  stage->Process(batch);
  Strings scratch(100, std::string(64, 'x'));  // reuse freed memory, if any was freed
  EXPECT_EQ(Describe(batch.records[0]),
            (Strings{std::string(40, 'n') + "=1", "s=2", "c=3", "d=4"}));
  // The same name storage for every batch.
  flow::RecordBatch again = OneRecord();
  stage->Process(again);
  EXPECT_EQ(again.records[0].fields[0].name.data(), batch.records[0].fields[0].name.data());
}

TEST(SelectStageTest, FailedRecordsPassUnchanged) {
  auto stage = Make({.keep = Strings{"a"}, .drop = Strings{"b"}, .rename = Strings{"a=x"}});
  flow::RecordBatch batch;
  Record failed;
  failed.raw = "not json";
  failed.error = "expected '{'";
  failed.fields = {{"a", Value::Int(1)}, {"b", Value::Int(2)}};  // left by an earlier stage
  batch.records.push_back(failed);
  stage->Process(batch);
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].raw, "not json");
  EXPECT_EQ(batch.records[0].error, "expected '{'");
  EXPECT_EQ(Describe(batch.records[0]), (Strings{"a=1", "b=2"}));
}

TEST(SelectStageTest, EveryRecordOfTheBatchInOrder) {
  auto stage = Make({.drop = Strings{"b"}, .rename = Strings{"a=x"}});
  flow::RecordBatch batch;
  static const char* const kRaw[] = {"r0", "r1", "r2", "r3"};
  for (int64_t i = 0; i < 4; ++i) {
    Record record;
    record.raw = kRaw[i];
    record.fields = {{"a", Value::Int(i)}, {"b", Value::Int(10 + i)}};
    if (i == 2) record.fields.clear();  // parsed, but nothing found
    batch.records.push_back(std::move(record));
  }
  batch.seq = 9;
  stage->Process(batch);
  ASSERT_EQ(batch.records.size(), 4u);
  EXPECT_EQ(batch.seq, 9u);
  for (int64_t i = 0; i < 4; ++i) {
    const Record& r = batch.records[static_cast<std::size_t>(i)];
    EXPECT_EQ(r.raw, kRaw[i]);
    EXPECT_EQ(Describe(r), i == 2 ? Strings{} : (Strings{"x=" + std::to_string(i)}));
  }
}

TEST(SelectStageTest, ValidationMessages) {
  EXPECT_EQ(ErrorOf({}), "give at least one of \"keep\", \"drop\", \"rename\"");
  EXPECT_EQ(ErrorOf({.rename = Strings{"abc"}}), "rename: \"abc\" is not \"old=new\"");
  EXPECT_EQ(ErrorOf({.rename = Strings{"=b"}}), "rename: \"=b\" is not \"old=new\"");
  EXPECT_EQ(ErrorOf({.rename = Strings{"a="}}), "rename: \"a=\" is not \"old=new\"");
  EXPECT_EQ(ErrorOf({.rename = Strings{"="}}), "rename: \"=\" is not \"old=new\"");
  EXPECT_EQ(ErrorOf({.rename = Strings{""}}), "rename: \"\" is not \"old=new\"");
  // Control bytes in an item are escaped: the message stays on one line.
  EXPECT_EQ(ErrorOf({.rename = Strings{"a\nb"}}), "rename: \"a\\x0ab\" is not \"old=new\"");
  EXPECT_EQ(ErrorOf({.keep = Strings{"a"}, .rename = Strings{"a=b", "x"}}),
            "rename: \"x\" is not \"old=new\"");
  EXPECT_EQ(ErrorOf({.rename = Strings{"a=b", "a=c"}}),
            "rename: \"a=c\": \"a\" is already renamed");
  // Each list alone is enough, even empty.
  EXPECT_NE(Make({.keep = Strings{}}), nullptr);
  EXPECT_NE(Make({.drop = Strings{}}), nullptr);
  EXPECT_NE(Make({.rename = Strings{}}), nullptr);
}

TEST(SelectStageTest, SpecListsThreeOptionalLists) {
  const config::TypeSpec spec = SelectSpec();
  EXPECT_EQ(spec.type, "select");
  EXPECT_TRUE(spec.takes_input);
  ASSERT_EQ(spec.params.size(), 3u);
  const char* const names[] = {"keep", "drop", "rename"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(spec.params[i].name, names[i]);
    EXPECT_EQ(spec.params[i].type, config::ParamType::kStringList);
    EXPECT_FALSE(spec.params[i].required);
    EXPECT_TRUE(spec.params[i].default_text.empty());  // absent unless given
    EXPECT_FALSE(spec.params[i].help.empty());
  }
  config::TypeCatalog catalog;
  ASSERT_OK(catalog.Add(SelectSpec()));
  EXPECT_NE(config::DescribeCatalog(catalog).find("rename (list of strings; optional)"),
            std::string::npos);
}

TEST(SelectStageTest, MakeFromConfig) {
  config::StageConfig config;
  config.name = "slim";
  config.type = "select";
  config.params["keep"] = Strings{"a", "c"};
  config.params["rename"] = Strings{"c=see"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<flow::TransformStage> stage, MakeSelectStage(config));
  flow::RecordBatch batch = OneRecord();
  stage->Process(batch);
  EXPECT_EQ(Describe(batch.records[0]), (Strings{"a=1", "see=3"}));

  config.params["rename"] = Strings{"oops"};
  auto bad = MakeSelectStage(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "rename: \"oops\" is not \"old=new\"");

  config.params.clear();
  auto none = MakeSelectStage(config);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ringflow::stages
