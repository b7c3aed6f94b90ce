// Writes domainauth.toml(5) in man(7) format to standard output from the declared
// key table (config::keys(), the source `domainauth serve --help-config` prints), so
// the page names every key with its type, default and meaning and cannot drift from
// the program. Run at build time (packaging/man/CMakeLists.txt).
#include <iostream>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace {

// Text for a man(7) line or macro argument: backslashes escaped, hyphens as \-,
// double quotes as \(dq (a quote would delimit a macro argument), and a line
// starting with a control character guarded.
std::string roff(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c == '"') {
      out += "\\(dq";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string_view table_of(std::string_view key) { return key.substr(0, key.find('.')); }

constexpr const char* kHead = R"(.TH DOMAINAUTH.TOML 5 "" "domainauth @VERSION@" "File Formats"
.SH NAME
domainauth.toml \- configuration of the domainauth daemon
.SH SYNOPSIS
.I /etc/domainauth/domainauth.toml
.SH DESCRIPTION
.B domainauth serve
(and
.BR "domainauth policy" ,
.BR "domainauth verify" ,
.BR "domainauth check" )
read this TOML file, named with
.BR \-\-config .
Each key below is written in the table named by its first part:
.B dns.timeout = 10
is
.B timeout = 10
under
.BR [dns] ;
.B sign.key
is an array of tables,
.BR [[sign.key]] .
A key left out has its default; a file with no keys serves on the embedded defaults.
Unknown keys, wrong types and bad values are errors, each reported as
.IR file : line : " key" : " message" .
.B domainauth configtest \-\-config
.I FILE
checks a file without serving it;
.B domainauth serve \-\-help\-config
prints the same list as this page.
After a change, SIGHUP (systemctl reload domainauth) reloads it; listeners and the history store
need a restart.
.SH KEYS
)";

constexpr const char* kTail = R"(.SH FILES
.TP
.I /etc/domainauth/domainauth.toml
the configuration the service reads
.TP
.I /var/lib/domainauth/history.sqlite
the DMARC history (store.sqlite_path)
.TP
.I /run/domainauth
unix sockets, when milter.listen or policy.listen name them there
.SH SEE ALSO
.BR domainauth (8)
)";

}  // namespace

int main() {
  std::string head = kHead;
  head.replace(head.find("@VERSION@"), 9, DOMAINAUTH_VERSION);
  std::cout << head;
  std::string_view table;
  for (const auto& key : domainauth::config::keys()) {
    if (table_of(key.name) != table) {
      table = table_of(key.name);
      std::cout << ".SS [" << table << "]\n";
    }
    std::cout << ".TP\n.B " << roff(key.name) << "\n" << roff(key.type) << ", default\n.B "
              << roff(key.default_value) << "\n.br\n" << roff(key.doc) << "\n";
  }
  std::cout << kTail;
  return 0;
}
