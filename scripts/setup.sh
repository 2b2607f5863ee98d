#!/usr/bin/env bash
# Installs the system tools the tests call to check mailsetup's output with independent programs.
# On Debian or Ubuntu it installs what is missing with apt (through sudo when not root); elsewhere
# it names what to install and stops.
set -euo pipefail

# Debian package → a command it provides, or a file it installs (checked first, so a machine that
# has the tool some other way is not asked to install anything).
packages=(
  "openssl:openssl"                # signatures: openssl cms -verify
  "python3:python3"                # plistlib, zipfile and xml readers
  "libxml2-utils:xmllint"          # RELAX NG validation, well-formedness
  "libwin-hivex-perl:hivexregedit" # .reg files merged into a real registry hive
  "bind9-utils:named-checkzone"    # DNS zone snippets
  "chromium:chromium"              # the web form in a real headless browser
  "wrk:wrk"                        # HTTP load for npm run bench
  "pebble:pebble"                  # ACME test server: certificate issuance and renewal
  "dovecot-imapd:dovecot"          # a real IMAP server for discovery and connection checks
  "dovecot-pop3d:/usr/lib/dovecot/pop3" # and POP3 (no command of its own: the file is checked)
  "dnsmasq-base:dnsmasq"           # a real DNS server (MX, SRV, A records) for discovery
)

missing=()
for entry in "${packages[@]}"; do
  package=${entry%%:*}
  command=${entry#*:}
  if [[ $command == /* ]]; then
    [ -e "$command" ] || missing+=("$package")
  else
    command -v "$command" >/dev/null 2>&1 || missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: every test tool is installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: the tests need these programs; install them with your system's package manager:" >&2
  for entry in "${packages[@]}"; do echo "  ${entry#*:} (Debian package ${entry%%:*})" >&2; done
  echo "missing here: ${missing[*]}" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
