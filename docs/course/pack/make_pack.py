#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the student pack: the worksheet in both languages and the kernel
captures it uses, renamed to neutral names (lab-a.pcapng, ...), with no truth
file, log or README. Prints the mapping for the instructor; the answer key
(docs/course/<lang>/answer-key.md) is keyed to the neutral names.

usage: make_pack.py OUTDIR      (run from anywhere; OUTDIR must not exist)
       make_pack.py --mapping   (print the mapping only)"""
import os
import shutil
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

# neutral name -> capture in captures/kernel/ (fixed: the answer key uses these names)
PACK = {
    "lab-a": "server_close_first",
    "lab-b": "simultaneous_close",
    "lab-c": "three_segment_close",
    "lab-d": "half_close",
    "lab-e": "linger_abort",
    "lab-f": "lost_synack",
    "lab-g": "lost_final_ack",
    "lab-h": "simultaneous_open",
    "lab-i": "basic_client_close",
}
LANGS = ("en", "zh-CN")


def mapping():
    return "\n".join(f"{neutral}.pcapng  captures/kernel/{name}.pcapng"
                     for neutral, name in PACK.items())


def build(out):
    os.makedirs(out)
    for neutral, name in PACK.items():
        shutil.copyfile(os.path.join(ROOT, "captures", "kernel", name + ".pcapng"),
                        os.path.join(out, neutral + ".pcapng"))
    for lang in LANGS:
        shutil.copyfile(os.path.join(ROOT, "docs", "course", lang, "worksheet.md"),
                        os.path.join(out, f"worksheet.{lang}.md"))


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if sys.argv[1] != "--mapping":
        if os.path.exists(sys.argv[1]):
            print(f"{sys.argv[1]} exists; give a new folder", file=sys.stderr)
            return 1
        build(sys.argv[1])
        print(f"pack written to {sys.argv[1]}: {len(PACK)} captures, worksheet.en.md, worksheet.zh-CN.md")
        print("mapping (for the instructor only, keep it out of the pack):")
    print(mapping())
    return 0


if __name__ == "__main__":
    sys.exit(main())
