#include "api/condition.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/detail/json_reader.h"
#include "api/detail/syntax.h"

namespace secprov::api {

bool set_condition(std::vector<Condition>& conditions, const Condition& c, Timestamp now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& x) { return x.type == c.type; });
  if (it == conditions.end()) {
    Condition added = c;
    added.last_transition_time = now;
    conditions.push_back(std::move(added));
    return true;
  }
  bool changed = false;
  if (it->status != c.status) {
    it->status = c.status;
    it->last_transition_time = now;
    changed = true;
  }
  if (it->reason != c.reason) {
    it->reason = c.reason;
    changed = true;
  }
  if (it->message != c.message) {
    it->message = c.message;
    changed = true;
  }
  if (it->observed_generation != c.observed_generation) {
    it->observed_generation = c.observed_generation;
    changed = true;
  }
  return changed;
}

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool is_condition_true(const std::vector<Condition>& conditions, std::string_view type,
                       std::optional<std::int64_t> generation) {
  const Condition* c = find_condition(conditions, type);
  if (c == nullptr || c->status != ConditionStatus::True) return false;
  return !generation || c->observed_generation == *generation;
}

bool remove_condition(std::vector<Condition>& conditions, std::string_view type) {
  const auto n = std::erase_if(conditions, [&](const Condition& c) { return c.type == type; });
  return n > 0;
}

bool is_valid_condition_type(std::string_view type) {
  // ^([dns-subdomain]/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$, max 316
  if (type.empty() || type.size() > 316) return false;
  std::string_view name = type;
  if (auto slash = type.find('/'); slash != std::string_view::npos) {
    if (!detail::is_dns_subdomain(type.substr(0, slash))) return false;
    name = type.substr(slash + 1);
  }
  if (name.empty()) return false;
  auto alnum = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
  };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char ch) { return alnum(ch) || ch == '-' || ch == '_' || ch == '.'; });
}

bool is_valid_condition_reason(std::string_view reason) {
  // ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$, 1..1024
  if (reason.empty() || reason.size() > 1024) return false;
  auto alpha = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); };
  auto alnum_ = [&](char ch) { return alpha(ch) || (ch >= '0' && ch <= '9') || ch == '_'; };
  if (!alpha(reason.front())) return false;
  if (reason.size() > 1 && !alnum_(reason.back())) return false;
  return std::all_of(reason.begin(), reason.end(),
                     [&](char ch) { return alnum_(ch) || ch == ',' || ch == ':'; });
}

nlohmann::json to_json(const Condition& c) {
  return nlohmann::json{{"type", c.type},
                        {"status", std::string(to_string(c.status))},
                        {"observedGeneration", c.observed_generation},
                        {"lastTransitionTime", format_rfc3339(c.last_transition_time)},
                        {"reason", c.reason},
                        {"message", c.message.str()}};
}

Result<Condition> parse_condition(const nlohmann::json& j, const std::string& path) {
  FieldErrors errs;
  detail::ObjectReader r(j, path, errs, detail::Strictness::IgnoreUnknown);
  Condition c;
  if (auto v = r.string("type", detail::Required::Yes)) c.type = *v;
  if (auto v = r.enumeration<ConditionStatus>("status", detail::Required::Yes)) c.status = *v;
  if (auto v = r.integer("observedGeneration")) c.observed_generation = *v;
  if (auto v = r.timestamp("lastTransitionTime", detail::Required::Yes))
    c.last_transition_time = *v;
  if (auto v = r.string("reason", detail::Required::Yes)) c.reason = *v;
  if (auto v = r.string("message")) c.message = std::move(*v);
  r.finish();
  if (!errs.empty()) return errs;
  return c;
}

}  // namespace secprov::api
