// The known refusals of the large receivers and the generic SMTP codes, as data
// (see bounce.hpp). Sources: Gmail's SMTP error reference and sender
// guidelines, Yahoo's Sender Hub error codes, Microsoft's NDR reference
// (5.7.515: the 2025 requirements for high-volume senders to Outlook.com).
// Order matters: the first match wins, so specific texts come before codes.
#include "setup/bounce.hpp"

namespace domainauth::setup {

const std::vector<BouncePattern>& bounce_patterns() {
  static const std::vector<BouncePattern> table = {
      {"gmail.5.7.26.dmarc", "5.7.26", "DMARC", "Gmail", "DMARC",
       "the message failed DMARC: neither SPF nor DKIM passed aligned with the From domain, and the domain's "
       "policy asks for rejection",
       "DKIM signs with d= equal to the From domain and its key is published; SPF authorizes the sending address; "
       "the DMARC record's policy",
       true},
      {"gmail.5.7.26", "5.7.26", "", "Gmail", "SPF or DKIM authentication",
       "the sender is unauthenticated: Gmail requires every sender to pass SPF or DKIM (bulk senders both, with "
       "DMARC)",
       "SPF authorizes the sending address; the DKIM key is published and matches the signing key", true},
      {"gmail.5.7.25", "5.7.25", "", "Gmail", "PTR / forward-confirmed reverse DNS",
       "the sending address has no PTR record, or the PTR name does not resolve back to the address",
       "the PTR of the sending address (set by whoever runs the address) and the A/AAAA record of that name", true},
      {"gmail.5.7.27", "5.7.27", "", "Gmail", "SPF",
       "the sender's domain does not pass SPF for the sending address",
       "the SPF record: one record, valid, at most 10 lookups, and it names the sending address", true},
      {"gmail.5.7.1.unsolicited", "5.7.1", "likely unsolicited", "Gmail", "reputation (all sender requirements)",
       "Gmail judged the mail likely spam: usually missing or failing authentication, no PTR, or a poor sending "
       "reputation",
       "every item of the checklist below (SPF, DKIM, DMARC, PTR), then the domain's and IP's reputation in Gmail "
       "Postmaster Tools",
       true},
      {"gmail.5.7.1.rate", "5.7.1", "unusual rate", "Gmail", "reputation (sending rate)",
       "Gmail saw an unusual rate of unsolicited mail from the address and is limiting it",
       "authentication (below), then slow down and look for compromised accounts or forms sending spam", true},
      {"gmail.4.7.26", "4.7.26", "", "Gmail", "SPF or DKIM authentication",
       "temporarily deferred because the sender is unauthenticated (it becomes 5.7.26 after the trial period)",
       "SPF authorizes the sending address; DKIM signs and the key is published", true},
      {"yahoo.5.7.9", "5.7.9", "", "Yahoo", "DMARC / authentication policy",
       "the message was not accepted for policy reasons: typically it failed DMARC or lacks SPF/DKIM",
       "DKIM signature and key, SPF for the sending address, the DMARC record", true},
      {"yahoo.5.7.1.bl", "5.7.1", "[BL", "Yahoo", "IP reputation (block list)",
       "the sending address is on a block list Yahoo uses (e.g. Spamhaus)",
       "the address on the block list's lookup page and request removal; PTR and authentication below", true},
      {"yahoo.4.7.0.tss", "4.7.0", "[TSS", "Yahoo", "reputation (deferral)",
       "Yahoo is temporarily deferring mail from this address because of its complaint rate or volume",
       "authentication below, then the complaint rate in Yahoo's Sender Hub; retries will continue", true},
      {"microsoft.5.7.515", "5.7.515", "", "Microsoft", "SPF, DKIM and DMARC (high-volume senders)",
       "the sending domain does not meet Outlook.com's required authentication level: SPF and DKIM must pass and "
       "DMARC (p=none at least) must pass aligned",
       "SPF, DKIM and the DMARC record, with alignment to the From domain", true},
      {"microsoft.5.7.509", "5.7.509", "", "Microsoft", "DMARC",
       "the sending domain failed DMARC and publishes p=reject",
       "DKIM signs with the From domain and its key matches; SPF authorizes the address; until both pass, "
       "consider p=none",
       true},
      {"microsoft.5.7.23", "5.7.23", "", "Microsoft", "SPF",
       "the message was rejected because of a Sender Policy Framework violation",
       "the SPF record names the sending address and ends in -all or ~all", true},
      {"microsoft.5.7.606", "5.7.606", "", "Microsoft", "IP reputation (banned address)",
       "Microsoft has blocked the sending address",
       "request delisting at https://sender.office.com, then PTR and authentication below", true},
      {"microsoft.5.7.1.s3150", "5.7.1", "S3150", "Microsoft", "IP reputation (block list)",
       "part of the sender's network is on Microsoft's block list",
       "request delisting at https://sender.office.com; PTR and authentication below", true},
      {"generic.dmarc", "", "DMARC", "any", "DMARC",
       "the receiver refers to DMARC: SPF and DKIM did not pass aligned with the From domain",
       "DKIM with d= the From domain, SPF for the sending address, the DMARC record", true},
      {"generic.spf", "", "SPF", "any", "SPF", "the receiver refers to SPF",
       "the SPF record and whether it names the sending address", true},
      {"generic.dkim", "", "DKIM", "any", "DKIM", "the receiver refers to DKIM",
       "the DKIM key record of each selector and that it matches the signing key", true},
      {"generic.ptr", "", "reverse", "any", "PTR / forward-confirmed reverse DNS",
       "the receiver refers to reverse DNS of the sending address", "the PTR of the sending address and its A record",
       true},
      {"generic.5.7.24", "5.7.24", "", "any", "SPF", "SPF validation gave permerror (a broken record)",
       "the SPF record: syntax, one record, at most 10 lookups", true},
      {"generic.5.7.20", "5.7.20", "", "any", "DKIM", "no passing DKIM signature (RFC 7372)",
       "the DKIM key record and the signing configuration", true},
      {"generic.5.1.1", "5.1.1", "", "any", "none (address)",
       "the recipient address does not exist: not an authentication problem", "the recipient's address", false},
      {"generic.5.2.2", "5.2.2", "", "any", "none (mailbox full)",
       "the recipient's mailbox is full: not an authentication problem", "nothing on your side", false},
      {"generic.5.7.1", "5.7.1", "", "any", "policy (unspecified)",
       "the receiver refused the message for a policy reason it did not name",
       "the reply text for a reason, then every item of the checklist below", true},
      {"generic.4xx", "4.", "", "any", "none yet (temporary)",
       "a temporary refusal: Postfix keeps retrying", "the reply text; if it names authentication, the checklist below",
       true},
  };
  return table;
}

}  // namespace domainauth::setup
