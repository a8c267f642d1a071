// multiline_bench: single-threaded throughput of the "lines" stage on in-memory 256 MiB logs, in
// 1 MiB chunks from the buffer pool (the copy into the pool buffer is included, as the reader's
// read would be), 7 runs each, median:
//   none, java   a Java application log (one record in 50 followed by a stack trace), without a
//                multiline rule and with the java preset
//   cri-none, cri  a Kubernetes CRI container log (one line in 50 split by the runtime into three
//                P/F parts, stdout and stderr), without a rule and with the cri preset
//   java+cri     the Java log with the cri preset: what the rule costs on lines that are not CRI
// Usage: multiline_bench
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "framework/flow/stage.h"
#include "framework/uring/buffer_pool.h"
#include "stages/lines_stage.h"
#include "stages/multiline.h"
namespace ringflow {
namespace {

// `total` bytes of a Java application log.
std::string JavaLog(std::size_t total) {
  std::string text;
  text.reserve(total + 4096);
  unsigned n = 0;
  while (text.size() < total) {
    ++n;
    text += "2026-12-05 21:27:01,123 INFO  [http-nio-8080-exec-" + std::to_string(n % 16) +
            "] com.acme.orders.OrderService: order " + std::to_string(n) + " accepted in 12 ms\n";
    if (n % 50 == 0) {
      text +=
          "2026-12-05 21:27:02,456 ERROR [main] com.acme.App: request failed\n"
          "java.lang.IllegalStateException: could not load order 42\n"
          "\tat com.acme.orders.OrderService.load(OrderService.java:88)\n"
          "\tat com.acme.App.main(App.java:17)\n"
          "Caused by: java.sql.SQLException: connection refused\n"
          "\tat org.postgresql.Driver.connect(Driver.java:285)\n"
          "\t... 12 more\n";
    }
  }
  return text;
}

// `total` bytes of a CRI container log: one line in 50 in three parts.
std::string CriLog(std::size_t total) {
  std::string text;
  text.reserve(total + 4096);
  unsigned n = 0;
  while (text.size() < total) {
    ++n;
    const std::string head = "2026-12-05T21:27:01." + std::to_string(100000000 + n % 900000000) +
                             "Z " + (n % 7 == 0 ? "stderr" : "stdout");
    if (n % 50 == 0) {
      text += head + " P {\"level\":\"info\",\"msg\":\"a long line the runtime split\",\n";
      text += head + " P \"payload\":\"" + std::string(200, 'x') + "\",\n";
      text += head + " F \"n\":" + std::to_string(n) + "}\n";
    } else {
      text += head + " F {\"level\":\"info\",\"msg\":\"order " + std::to_string(n) +
              " accepted\",\"took_ms\":12}\n";
    }
  }
  return text;
}

int Main() {
  const std::size_t total = 256u << 20, chunk = 1u << 20;
  const std::string java = JavaLog(total);
  const std::string cri = CriLog(total);
  struct Case {
    const char* name;
    const std::string* text;
    bool rule;
    stages::MultilinePreset preset;
  };
  const Case cases[] = {{"none", &java, false, stages::MultilinePreset::kJava},
                        {"java", &java, true, stages::MultilinePreset::kJava},
                        {"cri-none", &cri, false, stages::MultilinePreset::kCri},
                        {"cri", &cri, true, stages::MultilinePreset::kCri},
                        {"java+cri", &java, true, stages::MultilinePreset::kCri}};
  auto pool = std::move(uring::BufferPool::Create(chunk, 4)).value();
  for (const Case& c : cases) {
    const std::string& text = *c.text;
    std::vector<double> mbs;
    for (int run = 0; run < 7; ++run) {
      std::shared_ptr<const stages::MultilineRule> rule;
      if (c.rule) {
        stages::MultilineOptions o;
        o.preset = c.preset;
        rule = std::move(stages::MultilineRule::Create(o)).value();
      }
      stages::LinesStage stage({}, rule);
      uint64_t records = 0, seq = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (std::size_t off = 0; off < text.size(); off += chunk) {
        auto ch = std::make_shared<flow::Chunk>();
        ch->seq = seq++;
        ch->file_id = 1;
        ch->offset = off;
        auto lease = *pool->TryAcquire();
        const std::size_t len = std::min(chunk, text.size() - off);
        std::memcpy(lease.data(), text.data() + off, len);
        ch->lease = uring::Share(std::move(lease));
        ch->length = static_cast<uint32_t>(len);
        ch->end = off + len == text.size();
        auto batch = flow::RecordBatch::ForChunk(ch);
        stage.Frame(*ch, *batch);
        records += batch->records.size();
      }
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      mbs.push_back(static_cast<double>(text.size()) / 1e6 / s);
      if (run == 0) {
        std::printf("%s: lines %lu records %lu\n", c.name,
                    static_cast<unsigned long>(stage.lines()), static_cast<unsigned long>(records));
      }
    }
    std::sort(mbs.begin(), mbs.end());
    std::printf("%s: median %.0f MB/s (min %.0f max %.0f), memcpy into the buffer included\n",
                c.name, mbs[3], mbs[0], mbs[6]);
  }
  return 0;
}

}  // namespace
}  // namespace ringflow

int main() { return ringflow::Main(); }
