// SVG Tiny PS basics (see svg_tiny_ps.hpp).
#include "setup/svg_tiny_ps.hpp"

#include <array>
#include <pugixml.hpp>

namespace domainauth::setup {
namespace {

// Elements SVG Tiny PS leaves out: scripting, foreign content, raster or
// external images, animation.
constexpr std::array<std::string_view, 10> kForbidden = {"script", "foreignObject", "image", "animate", "animateColor",
                                                         "animateMotion", "animateTransform", "set", "audio", "video"};

std::string_view local_name(std::string_view name) {
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

class Walker : public pugi::xml_tree_walker {
 public:
  explicit Walker(std::vector<std::string>& problems) : problems_(problems) {}
  bool title = false;

  bool for_each(pugi::xml_node& node) override {
    if (node.type() != pugi::node_element) return true;
    const std::string_view name = local_name(node.name());
    if (name == "title") title = true;
    for (std::string_view bad : kForbidden) {
      if (name == bad) add("a <" + std::string(name) + "> element (not allowed in SVG Tiny PS)");
    }
    for (const pugi::xml_attribute& attribute : node.attributes()) {
      const std::string_view attr = attribute.name();
      const std::string_view value = attribute.value();
      if (local_name(attr) == "href" && !value.starts_with("#")) {
        add("a reference outside the file (" + std::string(attr) + "=\"" + std::string(value.substr(0, 60)) + "\")");
      }
      if (attr.starts_with("on")) add("an event handler attribute (" + std::string(attr) + "=)");
    }
    return problems_.size() < kMaxSvgProblems;
  }

 private:
  void add(std::string problem) {
    if (problems_.size() < kMaxSvgProblems) problems_.push_back(std::move(problem));
  }
  std::vector<std::string>& problems_;
};

}  // namespace

std::vector<std::string> check_svg_tiny_ps(std::string_view svg) {
  std::vector<std::string> problems;
  if (svg.size() > kMaxBimiSvgOctets) {
    problems.push_back("the file is " + std::to_string(svg.size()) + " octets, over BIMI's " +
                       std::to_string(kMaxBimiSvgOctets));
    return problems;
  }
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(svg.data(), svg.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    problems.push_back(std::string("not well-formed XML: ") + parsed.description() + " at octet " +
                       std::to_string(parsed.offset));
    return problems;
  }
  const pugi::xml_node root = doc.document_element();
  if (local_name(root.name()) != "svg") {
    problems.push_back("the root element is <" + std::string(root.name()).substr(0, 40) + ">, not <svg>");
    return problems;
  }
  if (std::string_view(root.attribute("baseProfile").value()) != "tiny-ps") {
    problems.push_back("the <svg> root has no baseProfile=\"tiny-ps\"");
  }
  if (std::string_view(root.attribute("version").value()) != "1.2") {
    problems.push_back("the <svg> root has no version=\"1.2\"");
  }
  if (root.attribute("x") || root.attribute("y")) problems.push_back("the <svg> root has x= or y= attributes");
  Walker walker(problems);
  doc.traverse(walker);
  if (!walker.title && problems.size() < kMaxSvgProblems) problems.push_back("no <title> element (the brand name)");
  return problems;
}

}  // namespace domainauth::setup
