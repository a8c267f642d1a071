// The standard grok pattern set: the names of Logstash's `grok-patterns` (ECS field names, from
// its ecs-v1 `grok-patterns`, `httpd` and `linux-syslog` files) with what each matches, written
// in RE2 syntax. RE2 has no lookarounds, atomic groups or backreferences: where Logstash's
// definitions use them to stop a number or an address inside a longer token, these rely on the
// whole expression matching the whole line instead.
//
// The text below is the one source of the set: GrokPatternsText() hands it to the expander, and
// tests/testing/grok_oracle.py reads it out of this file (between the R"grok( and )grok"
// markers) to expand the same definitions with Python's `re`. Format: one definition per line,
// `NAME regex`, separated by the first space; blank lines and lines starting with '#' are
// ignored. Every regex must stay in the subset RE2 and Python's `re` (bytes) read alike: no
// POSIX classes, no \z, no \x{...}, no \v.
#include <string_view>

#include "stages/grok.h"

namespace ringflow::stages {

std::string_view GrokPatternsText() {
  static constexpr std::string_view kText = R"grok(
# Names and words. The local part of an address is dot-separated atoms of any length (RE2
# refuses Logstash's {1,62} inside {0,63}: more than 1000 repetitions).
USERNAME [a-zA-Z0-9._-]+
USER %{USERNAME}
EMAILLOCALPART [a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*
EMAILADDRESS %{EMAILLOCALPART}@%{HOSTNAME}
WORD \b\w+\b
NOTSPACE \S+
SPACE \s*
DATA .*?
GREEDYDATA .*
QUOTEDSTRING "(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`
QS %{QUOTEDSTRING}
UUID [A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}
URN urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+

# Numbers
INT [+-]?[0-9]+
BASE10NUM [+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
NUMBER %{BASE10NUM}
BASE16NUM [+-]?(?:0x)?[0-9A-Fa-f]+
BASE16FLOAT \b[+-]?(?:0x)?(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?|\.[0-9A-Fa-f]+)\b
POSINT \b[1-9][0-9]*\b
NONNEGINT \b[0-9]+\b

# Networking
CISCOMAC (?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}
WINDOWSMAC (?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}
COMMONMAC (?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}
MAC %{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}
IPV4OCTET 25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]
IPV4 %{IPV4OCTET}\.%{IPV4OCTET}\.%{IPV4OCTET}\.%{IPV4OCTET}
# IPv6 in every form of RFC 4291 section 2.2, by the grammar of RFC 3986 section 3.2.2: eight
# groups, "::" for one or more zero groups, the last 32 bits as a dotted IPv4 address; then an
# optional zone ("%eth0").
IPV6H16 [0-9A-Fa-f]{1,4}
IPV6LS32 %{IPV6H16}:%{IPV6H16}|%{IPV4}
IPV6 (?:(?:%{IPV6H16}:){6}%{IPV6LS32}|::(?:%{IPV6H16}:){5}%{IPV6LS32}|(?:%{IPV6H16})?::(?:%{IPV6H16}:){4}%{IPV6LS32}|(?:(?:%{IPV6H16}:)?%{IPV6H16})?::(?:%{IPV6H16}:){3}%{IPV6LS32}|(?:(?:%{IPV6H16}:){0,2}%{IPV6H16})?::(?:%{IPV6H16}:){2}%{IPV6LS32}|(?:(?:%{IPV6H16}:){0,3}%{IPV6H16})?::%{IPV6H16}:%{IPV6LS32}|(?:(?:%{IPV6H16}:){0,4}%{IPV6H16})?::%{IPV6LS32}|(?:(?:%{IPV6H16}:){0,5}%{IPV6H16})?::%{IPV6H16}|(?:(?:%{IPV6H16}:){0,6}%{IPV6H16})?::)(?:%[0-9A-Za-z._~-]+)?
IP %{IPV6}|%{IPV4}
HOSTNAME \b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?
IPORHOST %{IP}|%{HOSTNAME}
HOSTPORT %{IPORHOST}:%{POSINT}

# Paths and URIs (only absolute paths)
UNIXPATH (?:/[A-Za-z0-9_%!$@:.,+~-]*)+
WINPATH (?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+
PATH %{UNIXPATH}|%{WINPATH}
TTY /dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+
URIPROTO [A-Za-z][A-Za-z0-9+.-]+
URIHOST %{IPORHOST}(?::%{POSINT})?
URIPATH (?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_-]*)+
URIQUERY [A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?<>\[\]-]*
URIPARAM \?%{URIQUERY}
URIPATHPARAM %{URIPATH}(?:\?%{URIQUERY})?
URI %{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATH}(?:\?%{URIQUERY})?)?

# Dates and times. MONTH takes English and German names (the a-umlaut as its UTF-8 bytes).
MONTH \b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|\xc3\xa4)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b
MONTHNUM 0?[1-9]|1[0-2]
MONTHNUM2 0[1-9]|1[0-2]
MONTHDAY 0[1-9]|[12][0-9]|3[01]|[1-9]
DAY Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?
YEAR (?:[0-9][0-9]){1,2}
HOUR 2[0123]|[01]?[0-9]
MINUTE [0-5][0-9]
# 60 is a leap second.
SECOND (?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?
TIME %{HOUR}:%{MINUTE}:%{SECOND}
DATE_US %{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}
DATE_EU %{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}
ISO8601_TIMEZONE Z|[+-]%{HOUR}:?%{MINUTE}
ISO8601_SECOND %{SECOND}
TIMESTAMP_ISO8601 %{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?
DATE %{DATE_US}|%{DATE_EU}
DATESTAMP %{DATE}[- ]%{TIME}
TZ [APMCE][SD]T|UTC
DATESTAMP_RFC822 %{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}
DATESTAMP_RFC2822 %{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}
DATESTAMP_OTHER %{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}
DATESTAMP_EVENTLOG %{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}
HTTPDATE %{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}

# Syslog (RFC 3164 as files hold it: "Mmm dd hh:mm:ss", days padded with a space)
SYSLOGTIMESTAMP %{MONTH} +%{MONTHDAY} %{TIME}
PROG [\x21-\x5a\x5c\x5e-\x7e]+
SYSLOGPROG %{PROG:[process][name]}(?:\[%{POSINT:[process][pid]:int}\])?
SYSLOGHOST %{IPORHOST}
SYSLOGFACILITY <%{NONNEGINT:[log][syslog][facility][code]:int}.%{NONNEGINT:[log][syslog][priority]:int}>
SYSLOGBASE %{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:[host][hostname]} %{SYSLOGPROG}:
SYSLOGBASE2 (?:%{SYSLOGTIMESTAMP:timestamp}|%{TIMESTAMP_ISO8601:timestamp})(?: %{SYSLOGFACILITY})?(?: %{SYSLOGHOST:[host][hostname]})?(?: %{SYSLOGPROG}:)?
SYSLOGLINE %{SYSLOGBASE2} %{GREEDYDATA:message}
SYSLOG5424PRINTASCII [!-~]+
SYSLOG5424PRI <%{NONNEGINT:[log][syslog][facility][code]:int}>
SYSLOG5424SD (?:\[%{DATA}\])+
SYSLOG5424BASE %{SYSLOG5424PRI}%{NONNEGINT:[system][syslog][version]} +(?:-|%{TIMESTAMP_ISO8601:timestamp}) +(?:-|%{IPORHOST:[host][hostname]}) +(?:-|%{SYSLOG5424PRINTASCII:[process][name]}) +(?:-|%{POSINT:[process][pid]:int}) +(?:-|%{SYSLOG5424PRINTASCII:[event][code]}) +(?:-|%{SYSLOG5424SD:[system][syslog][structured_data]})?
SYSLOG5424LINE %{SYSLOG5424BASE} +%{GREEDYDATA:message}

# Log levels
LOGLEVEL [Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|INFO?(?:RMATION)?|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?

# Apache httpd (and nginx's "combined", the same layout)
HTTPDUSER %{EMAILADDRESS}|%{USER}
HTTPDERROR_DATE %{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}
HTTPD_COMMONLOG %{IPORHOST:[source][address]} (?:-|%{HTTPDUSER:[apache][access][user][identity]}) (?:-|%{HTTPDUSER:[user][name]}) \[%{HTTPDATE:timestamp}\] "(?:%{WORD:[http][request][method]} %{NOTSPACE:[url][original]}(?: HTTP/%{NUMBER:[http][version]})?|%{DATA})" (?:-|%{INT:[http][response][status_code]:int}) (?:-|%{INT:[http][response][body][bytes]:int})
HTTPD_COMBINEDLOG %{HTTPD_COMMONLOG} "(?:-|%{DATA:[http][request][referrer]})" "(?:-|%{DATA:[user_agent][original]})"
HTTPD20_ERRORLOG \[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:[log][level]}\] (?:\[client %{IPORHOST:[source][address]}\] )?%{GREEDYDATA:message}
HTTPD24_ERRORLOG \[%{HTTPDERROR_DATE:timestamp}\] \[(?:%{WORD:[apache][error][module]})?:%{LOGLEVEL:[log][level]}\] \[pid %{POSINT:[process][pid]:int}(?::tid %{INT:[process][thread][id]:int})?\](?: \(%{POSINT:[apache][error][proxy][error][code]}\)%{DATA:[apache][error][proxy][error][message]}:)?(?: \[client %{IPORHOST:[source][address]}(?::%{POSINT:[source][port]:int})?\])?(?: %{DATA:[error][code]}:)? %{GREEDYDATA:message}
HTTPD_ERRORLOG %{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG}
COMMONAPACHELOG %{HTTPD_COMMONLOG}
COMBINEDAPACHELOG %{HTTPD_COMBINEDLOG}
)grok";
  return kText;
}

}  // namespace ringflow::stages
