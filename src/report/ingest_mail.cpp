// The report documents in a file or a mail message (see ingest_mail.hpp):
// RFC 2045 Content-Type / Content-Transfer-Encoding and RFC 2183
// Content-Disposition read with mail/lexical.hpp's scanner, RFC 2046 5.1
// multipart bodies split at their boundary lines.
#include "report/ingest_mail.hpp"

#include <map>

#include "dkim/crypto.hpp"
#include "mail/header.hpp"
#include "mail/lexical.hpp"

namespace domainauth::report {
namespace {

// A header value "type/subtype; name=value; ..." (RFC 2045 5.1, RFC 2183 2).
struct Structured {
  std::string value;  // lower case: "multipart/mixed", "attachment"
  std::map<std::string, std::string> params;  // names in lower case
};

Structured structured(std::string_view field_value) {
  Structured out;
  const auto unfolded = mail::unfold(field_value);
  mail::Scanner scan(unfolded);
  (void)scan.skip_cfws();
  while (!scan.at_end() && scan.peek() != ';') {
    if (auto token = scan.value()) out.value += *token;
    else if (scan.take('/')) out.value += '/';
    else break;
  }
  out.value = text::to_lower(out.value);
  while (scan.skip_cfws() && scan.take(';')) {
    (void)scan.skip_cfws();
    const auto name = text::to_lower(scan.keyword());
    (void)scan.skip_cfws();
    if (name.empty() || !scan.take('=')) break;
    (void)scan.skip_cfws();
    auto v = scan.value();
    if (!v) break;
    out.params[name] = *v;
  }
  return out;
}

struct Part {
  Structured type, disposition;
  std::string encoding;
  std::string from;  // the From field, unfolded
  std::string_view body;
};

std::optional<Part> part(std::string_view raw) {
  mail::MessageSplitter splitter;
  const auto body_start = raw.size() - splitter.feed(raw).size();
  splitter.finish();
  if (!splitter.error().empty()) return std::nullopt;
  Part p{{"text/plain", {}}, {}, "7bit", {}, raw.substr(std::min(body_start, raw.size()))};
  for (const auto& field : splitter.headers()) {
    if (field.is("Content-Type")) p.type = structured(field.value());
    else if (field.is("Content-Disposition")) p.disposition = structured(field.value());
    else if (field.is("Content-Transfer-Encoding")) p.encoding = structured(field.value()).value;
    else if (field.is("From")) p.from = mail::unfold(field.value());
  }
  return p;
}

std::string file_name(const Part& p) {
  if (auto it = p.disposition.params.find("filename"); it != p.disposition.params.end()) return it->second;
  if (auto it = p.type.params.find("name"); it != p.type.params.end()) return it->second;
  return {};
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = text::to_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// RFC 2045 6.7 quoted-printable: "=XX" octets, "=" before a line end joins lines.
std::string quoted_printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') out += s[i];
    else if (i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])), i += 2;
    else if (s.substr(i + 1).starts_with("\r\n")) i += 2;
    else if (s.substr(i + 1).starts_with("\n")) i += 1;
    else out += s[i];
  }
  return out;
}

// The parts of a multipart body: between "--boundary" lines, up to "--boundary--".
std::vector<std::string_view> split_multipart(std::string_view body, const std::string& boundary) {
  std::vector<std::string_view> parts;
  const std::string delimiter = "--" + boundary;
  std::size_t start = std::string_view::npos;
  for (std::size_t line = 0; line < body.size();) {
    auto eol = body.find('\n', line);
    if (eol == std::string_view::npos) eol = body.size();
    auto text = body.substr(line, eol - line);
    if (text.ends_with('\r')) text.remove_suffix(1);
    if (text.starts_with(delimiter)) {
      // The part ends before the line break that precedes the delimiter (RFC 2046 5.1.1).
      if (start != std::string_view::npos) parts.push_back(body.substr(start, line > start ? line - start : 0));
      if (text.substr(delimiter.size()).starts_with("--")) return parts;
      start = eol + 1;
    }
    line = eol + 1;
  }
  if (start != std::string_view::npos && start < body.size()) parts.push_back(body.substr(start));  // no close delimiter
  return parts;
}

bool report_type(const Part& p, const std::string& name) {
  static const char* const kTypes[] = {"application/gzip", "application/x-gzip", "application/zip",
                                       "application/x-zip-compressed", "application/x-zip", "text/xml",
                                       "application/xml", "application/tlsrpt+json", "application/tlsrpt+gzip",
                                       "application/json"};
  for (const char* type : kTypes) {
    if (p.type.value == type) return true;
  }
  const auto lower = text::to_lower(name);
  return p.type.value == "application/octet-stream" &&
         (lower.ends_with(".xml") || lower.ends_with(".gz") || lower.ends_with(".zip") || lower.ends_with(".json"));
}

// The body of p without its transfer encoding; nothing (with an error noted) when it is not valid base64.
std::optional<std::string> decoded(const Part& p, const std::string& name, std::vector<std::string>& errors) {
  if (p.encoding == "base64") {
    auto data = dkim::base64_decode(p.body);
    if (!data) errors.push_back(name + ": not valid base64");
    return data;
  }
  return p.encoding == "quoted-printable" ? quoted_printable(p.body) : std::string(p.body);
}

// The header block of a message (up to its first empty line), cut at the last
// whole line within kMaxOriginalHeader.
std::string header_block(std::string_view message) {
  std::size_t end = message.size();
  for (const std::string_view blank : {"\n\n", "\n\r\n"}) {
    if (const auto at = message.find(blank); at != std::string_view::npos) end = std::min(end, at + 1);
  }
  if (message.starts_with("\r\n") || message.starts_with("\n")) end = 0;
  if (end > kMaxOriginalHeader) {
    const auto last = message.rfind('\n', kMaxOriginalHeader - 1);
    end = last == std::string_view::npos ? 0 : last + 1;
  }
  return std::string(message.substr(0, end));
}

bool original_type(const std::string& type) {
  return type == "message/rfc822" || type == "text/rfc822-headers" || type == "message/global" ||
         type == "message/global-headers";
}

struct Walk {
  const UnpackLimits& limits;
  Extracted out;
  std::size_t parts = 0;
  std::string report_from;                    // the top-level message's From
  std::optional<std::size_t> feedback;        // the out.feedback entry of the multipart/report being walked

  // A part of a feedback-report multipart/report (RFC 6591 3.1: the second and third).
  void feedback_part(const Part& p, Feedback& f) {
    const bool fields = p.type.value == "message/feedback-report";
    if (!fields && !original_type(p.type.value)) return;
    auto data = decoded(p, p.type.value, out.errors);
    if (!data) return;
    if (!fields) {
      if (f.original.empty()) f.original = header_block(*data);
    } else if (data->size() > kMaxFeedbackPart) {
      out.errors.push_back("message/feedback-report part larger than " + std::to_string(kMaxFeedbackPart) + " octets");
    } else if (f.fields.empty()) {
      f.fields = std::move(*data);
    }
  }

  void visit(std::string_view raw, std::size_t depth) {
    if (++parts > kMaxMimeParts) {
      if (parts == kMaxMimeParts + 1) out.errors.push_back("more than " + std::to_string(kMaxMimeParts) + " MIME parts");
      return;
    }
    const auto p = part(raw);
    if (!p) return;
    if (depth == 0) report_from = p->from;
    if (p->type.value.starts_with("multipart/")) {
      const auto boundary = p->type.params.find("boundary");
      if (depth >= kMaxMimeDepth) out.errors.push_back("multipart nested deeper than " + std::to_string(kMaxMimeDepth));
      if (boundary == p->type.params.end() || boundary->second.empty() || depth >= kMaxMimeDepth) return;
      const auto kind = p->type.params.find("report-type");
      const auto outer = feedback;
      if (p->type.value == "multipart/report" && kind != p->type.params.end() &&
          text::iequals(kind->second, "feedback-report")) {
        feedback = out.feedback.size();
        out.feedback.push_back({report_from, {}, {}});
      }
      for (auto sub : split_multipart(p->body, boundary->second)) visit(sub, depth + 1);
      feedback = outer;
      return;
    }
    if (feedback) return feedback_part(*p, out.feedback.at(*feedback));
    const auto name = file_name(*p);
    if (!report_type(*p, name)) return;
    auto data = decoded(*p, name.empty() ? p->type.value : name, out.errors);
    if (!data) return;
    auto found = documents_from_file(name.empty() ? p->type.value : name, *data, limits);
    for (auto& d : found.documents) out.documents.push_back(std::move(d));
    for (auto& e : found.errors) out.errors.push_back(std::move(e));
  }
};

}  // namespace

Extracted documents_from_file(std::string_view name, std::string_view data, const UnpackLimits& limits) {
  Extracted out;
  UnpackResult unpacked;
  switch (packing_of(data)) {
    case Packing::gzip: unpacked = gunzip(data, limits); break;
    case Packing::zip: unpacked = unzip(data, limits); break;
    case Packing::none: unpacked.files.push_back({"", std::string(data)}); break;
  }
  if (!unpacked.error.empty()) out.errors.push_back(std::string(name) + ": " + unpacked.error);
  for (auto& f : unpacked.files) {
    out.documents.push_back({f.name.empty() ? std::string(name) : std::string(name) + ":" + f.name, std::move(f.data)});
  }
  return out;
}

Extracted documents_from_mail(std::string_view message, const UnpackLimits& limits) {
  Walk walk{limits, {}, 0, {}, std::nullopt};
  walk.visit(message, 0);
  return std::move(walk.out);
}

}  // namespace domainauth::report
