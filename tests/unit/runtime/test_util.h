#pragma once

#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "manual_clock.h"

namespace secprov::runtime::testing {

// Polls `condition` until it holds or `limit` passes (a guard against hangs, not a timing goal).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Value of a counter/gauge (or a histogram's sample count) with the given labels; -1 if absent.
inline double metric_value(prometheus::Registry& registry, const std::string& name,
                           const prometheus::Labels& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found |= label.name == k && label.value == v;
        match &= found;
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default:
          return -1;
      }
    }
  }
  return -1;
}

// Sum of a histogram's observations with the given labels; -1 if absent.
inline double histogram_sum(prometheus::Registry& registry, const std::string& name,
                            const prometheus::Labels& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name || family.type != prometheus::MetricType::Histogram) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found |= label.name == k && label.value == v;
        match &= found;
      }
      if (match) return metric.histogram.sample_sum;
    }
  }
  return -1;
}

}  // namespace secprov::runtime::testing
