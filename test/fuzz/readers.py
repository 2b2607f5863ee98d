# Independent readers for the fuzz checks, many files per process: plistlib for property lists,
# ElementTree (expat) for XML, configparser (set up to read like Windows' INI reader) for PRF
# files, zipfile for archives. Reads a JSON list of {kind, data (base64)} on stdin and prints a
# JSON list of {ok, value} or {ok: false, error}.
import base64
import configparser
import datetime
import io
import json
import plistlib
import sys
import xml.etree.ElementTree as ET
import zipfile


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return {"$data": base64.b64encode(value).decode()}
    if isinstance(value, datetime.datetime):
        return {"$date": value.isoformat()}
    if isinstance(value, float):
        return {"$real": value}
    return value


def element(e):
    return {"tag": e.tag, "attrib": dict(e.attrib), "text": e.text or "", "children": [element(c) for c in e]}


def prf(data):
    # ASCII, or UTF-16LE after a byte order mark; never UTF-8.
    if data[:2] == b"\xff\xfe":
        text = data[2:].decode("utf-16-le")
    else:
        text = data.decode("ascii")
    if "\r\n" not in text or "\n" in text.replace("\r\n", ""):
        raise ValueError("lines must end in CRLF only")
    parser = configparser.RawConfigParser(
        delimiters=("=",), comment_prefixes=(";",), inline_comment_prefixes=None, strict=True, empty_lines_in_values=False, interpolation=None
    )
    parser.optionxform = str
    parser.read_string(text)
    sections = {}
    for name in parser.sections():
        values = {}
        for key, value in parser.items(name):
            # Windows' reader drops one pair of enclosing quotes, as Outlook does.
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[key] = value
        sections[name] = values
    return sections


def archive(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        bad = z.testzip()
        if bad is not None:
            raise ValueError("bad CRC in " + bad)
        names = z.namelist()
        if len(set(names)) != len(names):
            raise ValueError("duplicate entry names")
        return [{"name": n, "data": base64.b64encode(z.read(n)).decode()} for n in names]


READERS = {
    "plist": lambda data: plain(plistlib.loads(data)),
    "xml": lambda data: element(ET.fromstring(data)),
    "prf": prf,
    "zip": archive,
}


def main():
    jobs = json.loads(sys.stdin.read())
    out = []
    for job in jobs:
        try:
            out.append({"ok": True, "value": READERS[job["kind"]](base64.b64decode(job["data"]))})
        except Exception as error:  # every failure is a finding, reported with its reason
            out.append({"ok": False, "error": type(error).__name__ + ": " + str(error)})
    sys.stdout.write(json.dumps(out, ensure_ascii=True))


main()
